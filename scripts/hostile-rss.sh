#!/usr/bin/env bash
# Peak memory of the azcert binary on the hostile inputs of the bad-input
# matrix (cmd/azcert/badinput_test.go), measured as the maximum resident
# set size by GNU time (/usr/bin/time -f %M). Each line: max RSS, exit code,
# the command. Linux only (sparse files, /dev/zero); needs Go and GNU time.
#
#   scripts/hostile-rss.sh
set -eu
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/azcert" "$repo/cmd/azcert"
cd "$work"
export PW=hostile-Pa55 XDG_CONFIG_HOME="$work/.config"

./azcert new contoso.net --password env:PW --pem -q >/dev/null
lines=$(wc -l <contoso.net.crt.pem)
yes -- "$(cat contoso.net.crt.pem)" | head -n $((10000 * lines)) >pem10k.pem # 10 000 blocks, ~13 MB
truncate -s 50M big50.bin                                                 # sparse 50 MB
ln -s big50.bin big50.yaml
{
	printf '<?xml version="1.0" encoding="utf-8"?><PublishData><PublishProfile SchemaVersion="2.0">'
	yes '<a>' | head -n 1000000 | tr -d '\n'
} >nested.publishsettings # a million nested elements, 3 MB
{
	printf '<?xml version="1.0" encoding="utf-8"?><ServiceConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"><Role name="A">'
	yes '<a>' | head -n 1000000 | tr -d '\n'
} >nested.cscfg
{
	printf '<?xml version="1.0"?>\n<!DOCTYPE PublishData [\n <!ENTITY lol "lol">\n'
	prev=lol
	for i in 1 2 3 4 5 6 7 8 9; do
		printf ' <!ENTITY lol%d "%s">\n' "$i" "$(printf "&$prev;%.0s" 1 2 3 4 5 6 7 8 9 10)"
		prev=lol$i
	done
	printf ']>\n<PublishData><PublishProfile SchemaVersion="2.0"><Subscription Id="8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36" ManagementCertificate="&lol9;"/></PublishProfile></PublishData>\n'
} >laughs.publishsettings
sed 's/PublishData/ServiceConfiguration/g' laughs.publishsettings >laughs.cscfg

measure() {
	local code=0
	/usr/bin/time -o rss.txt -f '%M' ./azcert "$@" >/dev/null 2>&1 </dev/null || code=$?
	printf '%7s KB  exit %d  azcert%s\n' "$(tail -n1 rss.txt)" "$code" "$(printf ' %q' "$@")"
}
measure version
measure thumbprint contoso.net.cer
measure thumbprint pem10k.pem
measure show big50.bin
code=0; /usr/bin/time -o rss.txt -f '%M' ./azcert thumbprint - <big50.bin >/dev/null 2>&1 || code=$?
printf '%7s KB  exit %d  azcert thumbprint - <big50.bin\n' "$(tail -n1 rss.txt)" "$code"
measure thumbprint /dev/zero
measure --config big50.yaml version
measure --config /dev/zero version
measure new contoso2.net --password file:/dev/zero
measure upload contoso.net.cer --subscription 8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36 --publish-settings nested.publishsettings
measure upload contoso.net.cer --subscription 8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36 --publish-settings laughs.publishsettings
measure cscfg show nested.cscfg
measure cscfg show laughs.cscfg
measure new "$(printf 'contoso\033[31m.net')" --password env:PW
