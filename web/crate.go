package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/registry"
)

type cratePage struct {
	base
	Info     *registry.CrateInfo
	V        *registry.VersionDetail // nil when every version was removed
	IsLatest bool
	Readme   template.HTML
	Deps     []depGroup
	DepCount int
	Features []featureView
	Chart    downloadChart
	Install  installSnippets
	Links    []extLink
}

type depGroup struct {
	Kind  string
	Title string
	Deps  []depView
}

type depView struct {
	Name            string // as the dependent's code names it
	Package         string // the real package when renamed, else ""
	Req             string
	Target          string
	Optional        bool
	NoDefault       bool
	Features        []string
	Registry        string // another registry's index URL, "" for this one
	Link            string // this registry's page of the dependency
	ExternalPackage string
}

type featureView struct {
	Name    string
	Enables []string
}

type installSnippets struct {
	Toml     string
	CargoAdd string
	Config   string
}

type extLink struct {
	Label string
	URL   string
}

// cratePage: GET /crates/{name} and /crates/{name}/{version}.
func (w *Web) cratePage(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name, version := chi.URLParam(r, "name"), chi.URLParam(r, "version")
	info, err := w.reg.CrateInfo(ctx, name)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if info.Crate.Name != name && version == "" {
		// One canonical spelling per crate (names match ignoring case and -/_).
		http.Redirect(rw, r, "/crates/"+url.PathEscape(info.Crate.Name), http.StatusMovedPermanently)
		return
	}
	data := cratePage{base: w.base(r, info.Crate.Name, "crates"), Info: info}
	if version == "" {
		version = info.DefaultVersion()
	}
	if version != "" {
		if data.V, err = w.reg.VersionDetail(ctx, info.Crate, version); err != nil {
			w.fail(rw, r, err)
			return
		}
		data.Title = info.Crate.Name + " " + data.V.Version
		data.IsLatest = data.V.Version == info.DefaultVersion()
		data.Readme = w.readmes.render(data.V.Checksum, data.V.Readme)
		data.Deps, data.DepCount = depGroups(data.V.Entry.Deps)
		data.Features = featureList(data.V.Features())
		data.Install = w.installSnippets(info.Crate.Name, data.V.Version)
		data.Links = metadataLinks(data.V.Meta)
	}
	series, err := w.reg.CrateDownloadSeries(ctx, info.Crate.ID, w.chartDays)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data.Chart = buildChart(series, w.chartDays, w.now())
	w.render(rw, r, http.StatusOK, "crate", data)
}

func (w *Web) installSnippets(name, version string) installSnippets {
	return installSnippets{
		Toml:     fmt.Sprintf("%s = { version = %q, registry = %q }", name, version, w.registryName),
		CargoAdd: fmt.Sprintf("cargo add --registry %s %s@%s", w.registryName, name, version),
		Config:   cargoConfig(w.registryName, w.publicURL),
	}
}

// cargoConfig is the ~/.cargo/config.toml section for this registry, from
// the configured public URL (never from the browser's idea of the host).
func cargoConfig(registryName, publicURL string) string {
	return fmt.Sprintf("[registries.%s]\nindex = \"sparse+%s/index/\"\ncredential-provider = \"cargo:token\"", registryName, publicURL)
}

var depKinds = []struct{ kind, title string }{
	{"normal", "Dependencies"}, {"build", "Build dependencies"}, {"dev", "Development dependencies"},
}

func depGroups(deps []crate.IndexDep) ([]depGroup, int) {
	var groups []depGroup
	n := 0
	for _, k := range depKinds {
		g := depGroup{Kind: k.kind, Title: k.title}
		for _, d := range deps {
			kind := d.Kind
			if kind == "" {
				kind = "normal"
			}
			if kind != k.kind {
				continue
			}
			v := depView{Name: d.Name, Req: d.Req, Optional: d.Optional, NoDefault: !d.DefaultFeatures, Features: d.Features}
			pkg := d.Name
			if d.Package != nil && *d.Package != d.Name {
				v.Package, pkg = *d.Package, *d.Package
			}
			if d.Target != nil {
				v.Target = *d.Target
			}
			if d.Registry != nil && *d.Registry != "" {
				v.Registry, v.ExternalPackage = *d.Registry, pkg
			} else {
				v.Link = "/crates/" + url.PathEscape(pkg)
			}
			g.Deps = append(g.Deps, v)
		}
		slices.SortFunc(g.Deps, func(a, b depView) int { return strings.Compare(a.Name, b.Name) })
		if len(g.Deps) > 0 {
			groups = append(groups, g)
			n += len(g.Deps)
		}
	}
	return groups, n
}

// featureList sorts features with "default" first.
func featureList(m map[string][]string) []featureView {
	out := make([]featureView, 0, len(m))
	for name, enables := range m {
		out = append(out, featureView{Name: name, Enables: enables})
	}
	slices.SortFunc(out, func(a, b featureView) int {
		switch {
		case a.Name == "default":
			return -1
		case b.Name == "default":
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// metadataLinks returns the crate's repository, homepage and documentation
// links when they are http(s) URLs.
func metadataLinks(m crate.Metadata) []extLink {
	var out []extLink
	for _, l := range []struct {
		label string
		u     *string
	}{{"Repository", m.Repository}, {"Homepage", m.Homepage}, {"Documentation (external)", m.Documentation}} {
		if l.u == nil {
			continue
		}
		u, err := url.Parse(*l.u)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		out = append(out, extLink{Label: l.label, URL: u.String()})
	}
	return out
}
