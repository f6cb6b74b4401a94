package store

import "github.com/wharfhq/wharf/queries/pgdb"

// Identity row and parameter types: web sessions, pending OIDC logins, user
// roles and passwords.
type (
	Session                       = pgdb.Session
	SessionGetByHashRow           = pgdb.SessionGetByHashRow
	SessionInsertParams           = pgdb.SessionInsertParams
	SessionListByUserParams       = pgdb.SessionListByUserParams
	SessionRevokeParams           = pgdb.SessionRevokeParams
	SessionRevokeByUserParams     = pgdb.SessionRevokeByUserParams
	SessionDeleteExpiredParams    = pgdb.SessionDeleteExpiredParams
	LoginState                    = pgdb.LoginState
	LoginStateInsertParams        = pgdb.LoginStateInsertParams
	LoginStateDeleteExpiredParams = pgdb.LoginStateDeleteExpiredParams
	UserSetRolesParams            = pgdb.UserSetRolesParams
	UserSetProfileParams          = pgdb.UserSetProfileParams
	UserSetPasswordParams         = pgdb.UserSetPasswordParams
)
