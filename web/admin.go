package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
	"github.com/wharfhq/wharf/store"
)

type adminHomePage struct {
	base
	Totals   registry.Totals
	Users    int
	Crates   int64
	Tokens   int
	JobsUI   bool
	Registry string
}

// adminHome: GET /admin.
func (w *Web) adminHome(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := auth.FromContext(ctx)
	data := adminHomePage{base: w.base(r, "Administration", "admin"), JobsUI: w.jobsUI != nil}
	var err error
	if data.Totals, err = w.reg.Totals(ctx); err != nil {
		w.fail(rw, r, err)
		return
	}
	users, err := w.reg.AdminListUsers(ctx, p)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data.Users = len(users)
	if _, data.Crates, err = w.reg.AdminListCrates(ctx, p, 1, 0); err != nil {
		w.fail(rw, r, err)
		return
	}
	tokens, err := w.reg.ListServiceTokens(ctx, p)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, t := range tokenViews(tokens, w.now()) {
		if t.Status == "active" {
			data.Tokens++
		}
	}
	w.render(rw, r, http.StatusOK, "admin", data)
}

type adminUsersPage struct {
	base
	Users []store.User
	Self  int64
}

// adminUsers: GET /admin/users.
func (w *Web) adminUsers(rw http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	users, err := w.reg.AdminListUsers(r.Context(), p)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "admin_users", adminUsersPage{base: w.base(r, "Users", "admin"), Users: users, Self: p.UserID})
}

// adminUserRoles: POST /admin/users/{login}/roles with role=user|admin|read-only.
func (w *Web) adminUserRoles(rw http.ResponseWriter, r *http.Request) {
	var roles registry.Roles
	switch r.PostFormValue("role") {
	case "admin":
		roles.Admin = true
	case "read-only":
		roles.ReadOnly = true
	case "user":
	default:
		w.renderError(rw, r, http.StatusBadRequest, "Unknown role.")
		return
	}
	if err := w.reg.AdminSetUserRoles(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "login"), roles); err != nil {
		w.fail(rw, r, err)
		return
	}
	redirectDone(rw, r, "/admin/users", "roles")
}

// adminUserActive: POST /admin/users/{login}/active with active=true|false.
func (w *Web) adminUserActive(rw http.ResponseWriter, r *http.Request) {
	active, err := strconv.ParseBool(r.PostFormValue("active"))
	if err != nil {
		w.renderError(rw, r, http.StatusBadRequest, "active must be true or false.")
		return
	}
	if err := w.reg.AdminSetUserActive(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "login"), active); err != nil {
		w.fail(rw, r, err)
		return
	}
	done := "inactive"
	if active {
		done = "active"
	}
	redirectDone(rw, r, "/admin/users", done)
}

const adminCratesPerPage = 50

type adminCratesPage struct {
	base
	Crates  []store.CrateListAllRow
	Total   int64
	Page    int
	PrevURL string
	NextURL string
}

// adminCrates: GET /admin/crates?page=.
func (w *Web) adminCrates(rw http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	rows, total, err := w.reg.AdminListCrates(r.Context(), auth.FromContext(r.Context()), adminCratesPerPage, (page-1)*adminCratesPerPage)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data := adminCratesPage{base: w.base(r, "Crates", "admin"), Crates: rows, Total: total, Page: page}
	if page > 1 {
		data.PrevURL = "/admin/crates?page=" + strconv.Itoa(page-1)
	}
	if int64(page*adminCratesPerPage) < total {
		data.NextURL = "/admin/crates?page=" + strconv.Itoa(page+1)
	}
	w.render(rw, r, http.StatusOK, "admin_crates", data)
}

type adminCratePage struct {
	base
	Info *registry.CrateInfo
	URL  string
}

// adminCrate: GET /admin/crates/{name}.
func (w *Web) adminCrate(rw http.ResponseWriter, r *http.Request) {
	w.renderAdminCrate(rw, r, http.StatusOK, "")
}

func (w *Web) renderAdminCrate(rw http.ResponseWriter, r *http.Request, status int, errMsg string) {
	info, err := w.reg.CrateInfo(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data := adminCratePage{base: w.base(r, "Crate "+info.Crate.Name, "admin"), Info: info,
		URL: "/admin/crates/" + url.PathEscape(info.Crate.Name)}
	data.Error = errMsg
	w.render(rw, r, status, "admin_crate", data)
}

// crateActionFailed shows a refused crate action on the crate's admin page
// (unexpected errors get the error page).
func (w *Web) crateActionFailed(rw http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= 500 || status == http.StatusUnauthorized || status == http.StatusNotFound {
		w.fail(rw, r, err)
		return
	}
	w.renderAdminCrate(rw, r, status, msg)
}

func adminCrateURL(r *http.Request) string {
	return "/admin/crates/" + url.PathEscape(chi.URLParam(r, "name"))
}

// adminCrateOwners: POST /admin/crates/{name}/owners with action=add|remove
// and login.
func (w *Web) adminCrateOwners(rw http.ResponseWriter, r *http.Request) {
	login := strings.TrimSpace(r.PostFormValue("login"))
	add := r.PostFormValue("action") == "add"
	if login == "" {
		w.renderAdminCrate(rw, r, http.StatusBadRequest, "Give the login of the user.")
		return
	}
	p := auth.FromContext(r.Context())
	if _, err := w.reg.ChangeOwners(r.Context(), p, chi.URLParam(r, "name"), []string{login}, add); err != nil {
		w.crateActionFailed(rw, r, err)
		return
	}
	done := "owner-removed"
	if add {
		done = "owner-added"
	}
	redirectDone(rw, r, adminCrateURL(r), done)
}

// adminCrateDeprecated: POST /admin/crates/{name}/deprecated with value=true|false.
func (w *Web) adminCrateDeprecated(rw http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseBool(r.PostFormValue("value"))
	if err != nil {
		w.renderError(rw, r, http.StatusBadRequest, "value must be true or false.")
		return
	}
	if err := w.reg.SetCrateDeprecated(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "name"), v); err != nil {
		w.crateActionFailed(rw, r, err)
		return
	}
	done := "undeprecated"
	if v {
		done = "deprecated"
	}
	redirectDone(rw, r, adminCrateURL(r), done)
}

// adminCrateAllowRemoval: POST /admin/crates/{name}/allow-version-removal
// with value=true|false.
func (w *Web) adminCrateAllowRemoval(rw http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseBool(r.PostFormValue("value"))
	if err != nil {
		w.renderError(rw, r, http.StatusBadRequest, "value must be true or false.")
		return
	}
	if err := w.reg.SetAllowVersionRemoval(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "name"), v); err != nil {
		w.crateActionFailed(rw, r, err)
		return
	}
	done := "removal-off"
	if v {
		done = "removal-on"
	}
	redirectDone(rw, r, adminCrateURL(r), done)
}

// adminCrateRemoveVersion: POST /admin/crates/{name}/versions/{version}/remove.
func (w *Web) adminCrateRemoveVersion(rw http.ResponseWriter, r *http.Request) {
	err := w.reg.RemoveVersion(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "name"), chi.URLParam(r, "version"))
	if err != nil {
		w.crateActionFailed(rw, r, err)
		return
	}
	redirectDone(rw, r, adminCrateURL(r), "version-removed")
}

type adminTokensPage struct {
	base
	Tokens  []tokenView
	Created *createdToken
	Name    string
	Expires string
	MinDate string
}

// adminTokens: GET /admin/tokens — registry-wide read-only tokens for CI.
func (w *Web) adminTokens(rw http.ResponseWriter, r *http.Request) {
	w.renderAdminTokens(rw, r, http.StatusOK, nil, "", "", "")
}

func (w *Web) renderAdminTokens(rw http.ResponseWriter, r *http.Request, status int, created *createdToken, name, expires, errMsg string) {
	tokens, err := w.reg.ListServiceTokens(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data := adminTokensPage{
		base: w.base(r, "Registry tokens", "admin"), Tokens: tokenViews(tokens, w.now()), Created: created,
		Name: name, Expires: expires, MinDate: w.now().UTC().AddDate(0, 0, 1).Format("2006-01-02"),
	}
	data.Error = errMsg
	w.render(rw, r, status, "admin_tokens", data)
}

// adminCreateToken: POST /admin/tokens.
func (w *Web) adminCreateToken(rw http.ResponseWriter, r *http.Request) {
	name, expiresStr := r.PostFormValue("name"), r.PostFormValue("expires")
	expires, err := parseExpiry(expiresStr)
	if err != nil {
		w.renderAdminTokens(rw, r, http.StatusBadRequest, nil, name, expiresStr, err.Error())
		return
	}
	secret, tok, err := w.reg.CreateServiceToken(r.Context(), auth.FromContext(r.Context()), name, expires)
	if err != nil {
		status, msg := statusOf(err)
		if status >= 500 || status == http.StatusUnauthorized {
			w.fail(rw, r, err)
			return
		}
		w.renderAdminTokens(rw, r, status, nil, name, expiresStr, msg)
		return
	}
	w.renderAdminTokens(rw, r, http.StatusOK, w.createdToken(tok.Name, secret), "", "", "")
}

// adminRevokeToken: POST /admin/tokens/{id}/revoke.
func (w *Web) adminRevokeToken(rw http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		w.renderError(rw, r, http.StatusNotFound, "No such token.")
		return
	}
	if err := w.reg.RevokeServiceToken(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		w.fail(rw, r, err)
		return
	}
	redirectDone(rw, r, "/admin/tokens", "token-revoked")
}

type adminJobsPage struct{ base }

// adminJobs: GET /admin/jobs — River UI when available.
func (w *Web) adminJobs(rw http.ResponseWriter, r *http.Request) {
	if w.jobsUI != nil {
		http.Redirect(rw, r, "/admin/jobs/", http.StatusFound)
		return
	}
	w.render(rw, r, http.StatusOK, "admin_jobs", adminJobsPage{base: w.base(r, "Jobs", "admin")})
}
