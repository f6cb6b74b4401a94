package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/registry"
)

type ownerJSON struct {
	ID    int64   `json:"id"`
	Login string  `json:"login"`
	Name  *string `json:"name"`
}

// listOwners: GET /api/v1/crates/{name}/owners.
func (a *api) listOwners(w http.ResponseWriter, r *http.Request) {
	owners, err := a.reg.Owners(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	users := make([]ownerJSON, len(owners))
	for i, o := range owners {
		users[i] = ownerJSON{ID: o.ID, Login: o.Login}
		if o.Name != "" {
			name := o.Name
			users[i].Name = &name
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

// addOwners: PUT /api/v1/crates/{name}/owners.
func (a *api) addOwners(w http.ResponseWriter, r *http.Request) { a.changeOwners(w, r, true) }

// removeOwners: DELETE /api/v1/crates/{name}/owners.
func (a *api) removeOwners(w http.ResponseWriter, r *http.Request) { a.changeOwners(w, r, false) }

func (a *api) changeOwners(w http.ResponseWriter, r *http.Request, add bool) {
	var body struct {
		Users []string `json:"users"`
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	if err := json.Unmarshal(data, &body); err != nil {
		a.writeError(w, r, &registry.Error{Kind: registry.ErrBadRequest, Msg: `invalid JSON body: expected {"users":["login",…]}`})
		return
	}
	msg, err := a.reg.ChangeOwners(r.Context(), auth.FromContext(r.Context()), chi.URLParam(r, "name"), body.Users, add)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "msg": msg})
}
