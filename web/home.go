package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/registry"
)

const searchPerPage = 20

type homePage struct {
	base
	Totals registry.Totals
	Recent []registry.RecentVersion
	Top    []registry.SearchCrate
	Search *searchResults
}

type searchResults struct {
	Query   string
	Crates  []registry.SearchCrate
	Total   int64
	Page    int
	Pages   int
	PrevURL string
	NextURL string
}

// home: GET / and GET /search — totals, recent versions, most downloaded
// crates; with ?q= the search results instead.
func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := homePage{base: w.base(r, "", "home")}
	data.Query = q
	if q != "" {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		res, err := w.reg.Search(ctx, q, searchPerPage, page)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		sr := &searchResults{Query: q, Crates: res.Crates, Total: res.Total, Page: page,
			Pages: int((res.Total + searchPerPage - 1) / searchPerPage)}
		link := func(p int) string { return "/search?q=" + url.QueryEscape(q) + "&page=" + strconv.Itoa(p) }
		if page > 1 {
			sr.PrevURL = link(page - 1)
		}
		if page < sr.Pages {
			sr.NextURL = link(page + 1)
		}
		data.Search = sr
		data.Title = "Search: " + q
		w.render(rw, r, http.StatusOK, "home", data)
		return
	}
	var err error
	if data.Totals, err = w.reg.Totals(ctx); err != nil {
		w.fail(rw, r, err)
		return
	}
	if data.Recent, err = w.reg.RecentVersions(ctx, 10); err != nil {
		w.fail(rw, r, err)
		return
	}
	if data.Top, err = w.reg.TopDownloaded(ctx, 10); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "home", data)
}
