package certs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
)

// MaxCount is the most certificates one azcert new --count makes.
const MaxCount = 1000

// NameTemplateSyntax describes --name-template, for help and errors.
const NameTemplateSyntax = "{n} is the number (1, 2, ...), {n:03} the number zero-padded to 3 digits (001); exactly one of them, no other braces"

// ExpandNameTemplate returns the count names of the template, numbered
// from 1: "user{n}" gives user1, user2, ...; "user-{n:03}" gives user-001,
// user-002, ... The template holds exactly one placeholder, {n} or {n:0W}
// with a width W of 1 to 9, and no other brace.
func ExpandNameTemplate(tmpl string, count int) ([]string, error) {
	if count < 1 || count > MaxCount {
		return nil, cmdutil.UsageErrorf("--count %d: give 1 to %d", count, MaxCount)
	}
	open := strings.IndexByte(tmpl, '{')
	end := strings.IndexByte(tmpl, '}')
	if open < 0 || end < open {
		return nil, cmdutil.UsageErrorf("--name-template %q has no {n}: %s", tmpl, NameTemplateSyntax)
	}
	before, spec, after := tmpl[:open], tmpl[open+1:end], tmpl[end+1:]
	if strings.ContainsAny(before, "{}") || strings.ContainsAny(after, "{}") {
		return nil, cmdutil.UsageErrorf("--name-template %q: %s", tmpl, NameTemplateSyntax)
	}
	width := 0
	switch {
	case spec == "n":
	case len(spec) == 4 && strings.HasPrefix(spec, "n:0") && spec[3] >= '1' && spec[3] <= '9':
		width = int(spec[3] - '0')
	default:
		return nil, cmdutil.UsageErrorf("--name-template %q: {%s} is not a placeholder; %s", tmpl, spec, NameTemplateSyntax)
	}
	out := make([]string, count)
	for i := range out {
		n := strconv.Itoa(i + 1)
		if len(n) < width {
			n = strings.Repeat("0", width-len(n)) + n
		}
		out[i] = before + n + after
	}
	return out, nil
}

// MakeMany makes count certificates whose names come from the template,
// one set of files each, as Make makes one (opts.Names and opts.Name are
// replaced by each name). Every name and file is checked before anything
// is asked for or generated, the keys are made in parallel (on
// GOMAXPROCS goroutines), and the files are written all or none. One
// password protects every .pfx, except with the generate source, which
// gives each its own <name>.pfx.password.
func MakeMany(opts MakeOptions, count int, template string) ([]*Made, error) {
	names, err := ExpandNameTemplate(template, count)
	if err != nil {
		return nil, err
	}
	plans, err := planMany(opts, names)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range plans {
		paths = append(paths, p.paths()...)
	}
	if err := export.CheckWritable(paths, opts.Force); err != nil {
		return nil, err
	}
	pws, err := manyPasswords(plans, opts.Password == "generate")
	if err != nil {
		return nil, err
	}
	reqs := make([]certgen.Request, len(plans))
	for i, p := range plans {
		reqs[i] = p.Request
	}
	workers := 0
	if opts.Factory.RandSource != nil {
		workers = 1 // a test's source is not safe for concurrent use
	}
	if opts.Factory.Debug {
		fmt.Fprintf(opts.Factory.IO.ErrOut, "azcert: debug: generating %d RSA keys in parallel\n", len(reqs))
	}
	results, err := certgen.GenerateAll(reqs, workers)
	if err != nil {
		return nil, err
	}
	made := make([]*Made, len(plans))
	var out []export.File
	for i, p := range plans {
		m, files, err := p.finish(results[i], pws[i])
		if err != nil {
			return nil, err
		}
		made[i], out = m, append(out, files...)
	}
	if err := export.WriteFiles(out, opts.Force); err != nil {
		return nil, err
	}
	return made, nil
}

// planMany plans a certificate per name and refuses two that would write
// the same file.
func planMany(opts MakeOptions, names []string) ([]*MakePlan, error) {
	plans := make([]*MakePlan, len(names))
	seen := map[string]string{}
	for i, n := range names {
		o := opts
		o.Names, o.Name = []string{n}, ""
		p, err := PlanMake(o)
		if err != nil {
			return nil, fmt.Errorf("--name-template, certificate %d (%s): %w", i+1, n, err)
		}
		for _, path := range p.paths() {
			key := strings.ToLower(path)
			if other, ok := seen[key]; ok {
				return nil, cmdutil.InputErrorf("--name-template: %s and %s would both write %s", other, n, path)
			}
			seen[key] = n
		}
		plans[i] = p
	}
	return plans, nil
}

// manyPasswords is the password of each plan: one for all, or with
// generate one generated for each.
func manyPasswords(plans []*MakePlan, each bool) ([]secret.Password, error) {
	pws := make([]secret.Password, len(plans))
	for i, p := range plans {
		if i > 0 && !each {
			pws[i] = pws[0]
			continue
		}
		pw, err := p.password()
		if err != nil {
			return nil, err
		}
		pws[i] = pw
	}
	return pws, nil
}
