package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/semver"
	"github.com/wharfhq/wharf/store"
)

// CrateInfo is what the web UI shows about a crate as a whole.
type CrateInfo struct {
	Crate store.Crate
	// Versions are sorted by SemVer precedence, highest first.
	Versions []VersionSummary
	Owners   []Owner
}

// VersionSummary is one row of a crate's version list.
type VersionSummary struct {
	Version     string
	Yanked      bool
	PublishedAt time.Time
	Publisher   string // login, "" when unknown
	Downloads   int64
	Size        int64
}

// CrateInfo returns a crate, its versions and owners. A crate whose
// versions were all removed is returned with no versions.
func (s *Service) CrateInfo(ctx context.Context, name string) (*CrateInfo, error) {
	c, err := s.store.CrateGetByKey(ctx, crate.NameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrNotFound, "crate %s does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("get crate %s: %w", name, err)
	}
	rows, err := s.store.VersionListForPage(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", c.Name, err)
	}
	info := &CrateInfo{Crate: c, Versions: make([]VersionSummary, len(rows))}
	for i, r := range rows {
		info.Versions[i] = VersionSummary{
			Version: r.Version, Yanked: r.Yanked, PublishedAt: r.PublishedAt, Publisher: r.Publisher,
			Downloads: r.Downloads, Size: r.Size,
		}
	}
	sortVersionsDesc(info.Versions)
	if info.Owners, err = s.Owners(ctx, c.Name); err != nil {
		return nil, err
	}
	return info, nil
}

// sortVersionsDesc orders versions by SemVer precedence, highest first;
// unparsable versions (none are accepted at publish) go last.
func sortVersionsDesc(vs []VersionSummary) {
	slices.SortStableFunc(vs, func(a, b VersionSummary) int {
		va, errA := semver.ParseVersion(a.Version)
		vb, errB := semver.ParseVersion(b.Version)
		switch {
		case errA != nil && errB != nil:
			return 0
		case errA != nil:
			return 1
		case errB != nil:
			return -1
		}
		return vb.Compare(va)
	})
}

// DefaultVersion is the version a crate page shows without an explicit
// version: the highest non-yanked one (stable preferred), else the highest.
func (c *CrateInfo) DefaultVersion() string {
	if c.Crate.MaxVersion != nil && *c.Crate.MaxVersion != "" {
		return *c.Crate.MaxVersion
	}
	if len(c.Versions) > 0 {
		return c.Versions[0].Version
	}
	return ""
}

// VersionDetail is one version as the crate page shows it.
type VersionDetail struct {
	VersionSummary
	Checksum string
	// Entry is the version's index line: dependencies, features, yanked.
	Entry crate.IndexEntry
	// Meta is the publish metadata (description, license, links, keywords).
	Meta   crate.Metadata
	Readme string
}

// Features returns the index entry's features merged with features2, the
// map cargo itself uses.
func (d *VersionDetail) Features() map[string][]string {
	out := make(map[string][]string, len(d.Entry.Features)+len(d.Entry.Features2))
	for k, v := range d.Entry.Features {
		out[k] = v
	}
	for k, v := range d.Entry.Features2 {
		out[k] = v
	}
	return out
}

// VersionDetail returns one version of crate c (from CrateInfo).
func (s *Service) VersionDetail(ctx context.Context, c store.Crate, version string) (*VersionDetail, error) {
	vers, err := semver.ParseVersion(version)
	if err != nil {
		return nil, errorf(ErrNotFound, "crate %s has no version %q", c.Name, version)
	}
	row, err := s.store.VersionPageGet(ctx, store.VersionPageGetParams{CrateID: c.ID, VersionKey: vers.Key()})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(ErrNotFound, "crate %s has no version %s", c.Name, version)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s@%s: %w", c.Name, version, err)
	}
	d := &VersionDetail{
		VersionSummary: VersionSummary{
			Version: row.Version, Yanked: row.Yanked, PublishedAt: row.PublishedAt, Publisher: row.Publisher,
			Downloads: row.Downloads, Size: row.Size,
		},
		Checksum: row.Checksum,
	}
	if row.Readme != nil {
		d.Readme = *row.Readme
	}
	if err := json.Unmarshal([]byte(row.IndexLine), &d.Entry); err != nil {
		return nil, fmt.Errorf("decode index line of %s@%s: %w", c.Name, row.Version, err)
	}
	// The metadata was validated at publish; a decoding problem only loses
	// the descriptive fields.
	if err := json.Unmarshal(row.Metadata, &d.Meta); err != nil {
		s.logger.WarnContext(ctx, "decode publish metadata", "crate", c.Name, "version", row.Version, "error", err)
	}
	return d, nil
}
