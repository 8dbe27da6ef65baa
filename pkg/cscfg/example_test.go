package cscfg_test

import (
	"fmt"

	"github.com/azcert/azcert/pkg/cscfg"
)

func ExampleSetThumbprint() {
	in := []byte(`<ServiceConfiguration serviceName="contoso" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole1">
    <!-- the certificate bound to HttpsIn -->
    <Certificates>
      <Certificate name='SSL' thumbprint='5d41402abc4b2a76b9719d911017c592ae1b7c1f' />
    </Certificates>
  </Role>
</ServiceConfiguration>
`)
	out, changed, err := cscfg.SetThumbprint(in, "SSL", "", "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range changed {
		fmt.Printf("%s/%s line %d was %s\n", e.Role, e.Name, e.Line, e.Thumbprint)
	}
	fmt.Print(string(out))

	_, _, err = cscfg.SetThumbprint(in, "Signing", "", "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432")
	fmt.Println(err)
	// Output:
	// WebRole1/SSL line 5 was 5d41402abc4b2a76b9719d911017c592ae1b7c1f
	// <ServiceConfiguration serviceName="contoso" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
	//   <Role name="WebRole1">
	//     <!-- the certificate bound to HttpsIn -->
	//     <Certificates>
	//       <Certificate name='SSL' thumbprint='9F8E7D6C5B4A39281706F5E4D3C2B1A098765432' thumbprintAlgorithm='sha1' />
	//     </Certificates>
	//   </Role>
	// </ServiceConfiguration>
	// certificate "Signing" is not declared in the service configuration (declared: "SSL")
}
