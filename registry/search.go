package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/store"
)

// SearchResult is one page of GET /api/v1/crates.
type SearchResult struct {
	Crates []SearchCrate
	Total  int64
}

// SearchCrate is one hit.
type SearchCrate struct {
	Name        string
	MaxVersion  string
	Description *string
	Downloads   int64
}

// MaxPerPage caps per_page.
const MaxPerPage = 100

// Search implements GET /api/v1/crates?q=&per_page=&page=. The term matches
// names ignoring case and -/_, and descriptions. Crates whose versions are
// all yanked are not listed.
func (s *Service) Search(ctx context.Context, q string, perPage, page int) (*SearchResult, error) {
	if perPage <= 0 {
		perPage = 10
	}
	perPage = min(perPage, MaxPerPage)
	page = max(page, 1)
	term := crate.NameKey(strings.TrimSpace(q))
	total, err := s.store.CrateSearchCount(ctx, term)
	if err != nil {
		return nil, fmt.Errorf("count search results for %q: %w", q, err)
	}
	rows, err := s.store.CrateSearch(ctx, store.CrateSearchParams{Term: term, Lim: int64(perPage), Off: int64((page - 1) * perPage)})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	res := &SearchResult{Total: total, Crates: make([]SearchCrate, 0, len(rows))}
	for _, r := range rows {
		sc := SearchCrate{Name: r.Name, Description: r.Description, Downloads: r.Downloads}
		if r.MaxVersion != nil {
			sc.MaxVersion = *r.MaxVersion
		}
		res.Crates = append(res.Crates, sc)
	}
	return res, nil
}
