package store

import "github.com/wharfhq/wharf/queries/pgdb"

// Row and parameter types of the web UI, statistics and administration
// queries (queries/*/ui.sql and stats.sql).
type (
	CrateListAllParams                = pgdb.CrateListAllParams
	CrateListAllRow                   = pgdb.CrateListAllRow
	CrateSetAllowVersionRemovalParams = pgdb.CrateSetAllowVersionRemovalParams
	CrateSetDeprecatedParams          = pgdb.CrateSetDeprecatedParams
	StatsCrateDailyParams             = pgdb.StatsCrateDailyParams
	StatsCrateDailyRow                = pgdb.StatsCrateDailyRow
	StatsRecentVersionsRow            = pgdb.StatsRecentVersionsRow
	StatsTopDownloadedRow             = pgdb.StatsTopDownloadedRow
	StatsTotalsRow                    = pgdb.StatsTotalsRow
	TombstoneInsertParams             = pgdb.TombstoneInsertParams
	TombstoneIsParams                 = pgdb.TombstoneIsParams
	UserInsertServiceParams           = pgdb.UserInsertServiceParams
	VersionListForPageRow             = pgdb.VersionListForPageRow
	VersionPageGetParams              = pgdb.VersionPageGetParams
	VersionPageGetRow                 = pgdb.VersionPageGetRow
)
