package registry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/internal/testserver"
	"github.com/wharfhq/wharf/registry"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func boolPtr(b bool) *bool { return &b }

func TestIdentity(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		s     *testserver.Server
		reg   *registry.Service
		clock *clock
	}
	setup := func(t *testing.T, engine string) *testBundle {
		t.Helper()
		c := newClock()
		s := testserver.StartMounted(t, engine, &testserver.MountOpts{Now: c.Now})
		return &testBundle{s: s, reg: s.Registry, clock: c}
	}
	ctx := context.Background()

	t.Run("AuthenticateReadOnlyUserTokens", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			tok := b.s.Token(t, "reader", auth.WriteScopes)
			u, err := b.reg.GetUserByLogin(ctx, "reader")
			require.NoError(t, err)
			require.NoError(t, b.reg.SetUserRoles(ctx, u.ID, registry.Roles{ReadOnly: true}))
			p, err := b.reg.Authenticate(ctx, auth.Credential{Secret: tok})
			require.NoError(t, err)
			require.Equal(t, []auth.Scope{auth.ScopeRead}, p.Scopes, "a read-only user's write token only reads")
			require.False(t, p.CanWrite())

			require.NoError(t, b.reg.SetUserRoles(ctx, u.ID, registry.Roles{}))
			p, err = b.reg.Authenticate(ctx, auth.Credential{Secret: tok})
			require.NoError(t, err)
			require.True(t, p.CanWrite())
		})
	})

	t.Run("LoginExternal", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			// The bootstrap admin has no e-mail: the first person becomes admin.
			first, created, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{
				Email: "Alice.Smith@Example.com", Name: "Alice Smith", AdminIfFirst: true,
			})
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, "alice.smith", first.Login)
			require.Equal(t, "alice.smith@example.com", first.Email)
			require.True(t, first.IsAdmin, "first user with an e-mail is admin")

			again, created, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "alice.smith@example.COM", AdminIfFirst: true})
			require.NoError(t, err)
			require.False(t, created, "matched by e-mail, case-insensitively")
			require.Equal(t, first.ID, again.ID)

			second, created, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "alice.smith@other.example", AdminIfFirst: true})
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, "alice.smith-2", second.Login, "logins are made unique")
			require.False(t, second.IsAdmin, "only the first user")

			// A CLI-created user without e-mail is linked by login.
			_, err = b.reg.CreateUser(ctx, "bob", "", "Bob", false)
			require.NoError(t, err)
			bob, created, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "bob@example.com"})
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, "bob", bob.Login)
			require.Equal(t, "bob@example.com", bob.Email)

			// ... but never an admin without e-mail (the bootstrap admin).
			adm, created, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "admin@example.com"})
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, "admin-2", adm.Login)
			require.False(t, adm.IsAdmin)
		})
	})

	t.Run("LoginExternalRoles", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			u, _, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "carol@example.com", Admin: boolPtr(false), AdminIfFirst: true})
			require.NoError(t, err)
			require.False(t, u.IsAdmin, "an explicit role beats first-user-admin")
			u, _, err = b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "carol@example.com", Admin: boolPtr(true)})
			require.NoError(t, err)
			require.True(t, u.IsAdmin, "roles are synchronised at each login")
			u, _, err = b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "carol@example.com", Admin: boolPtr(false), ReadOnly: boolPtr(true)})
			require.NoError(t, err)
			require.False(t, u.IsAdmin)
			require.True(t, u.IsReadOnly)
			got, err := b.reg.GetUser(ctx, u.ID)
			require.NoError(t, err)
			require.True(t, got.IsReadOnly)
		})
	})

	t.Run("LoginExternalDeactivated", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			u, _, err := b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "dave@example.com"})
			require.NoError(t, err)
			require.NoError(t, b.reg.SetUserActive(ctx, u.ID, false))
			_, _, err = b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "dave@example.com"})
			require.ErrorIs(t, err, registry.ErrForbidden)
			_, _, err = b.reg.LoginExternal(ctx, registry.ExternalIdentity{Email: "not-an-email"})
			require.ErrorIs(t, err, registry.ErrBadRequest)
		})
	})

	t.Run("LoginState", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			ls := registry.LoginState{Nonce: "n", Verifier: "v", Next: "/x", BrowserHash: "h", ExpiresAt: b.clock.Now().Add(10 * time.Minute)}
			require.NoError(t, b.reg.SaveLoginState(ctx, "state-1", ls))
			got, err := b.reg.TakeLoginState(ctx, "state-1")
			require.NoError(t, err)
			require.Equal(t, "n", got.Nonce)
			require.Equal(t, "/x", got.Next)
			_, err = b.reg.TakeLoginState(ctx, "state-1")
			require.ErrorIs(t, err, registry.ErrNotFound, "single use")
			_, err = b.reg.TakeLoginState(ctx, "never-saved")
			require.ErrorIs(t, err, registry.ErrNotFound)

			require.NoError(t, b.reg.SaveLoginState(ctx, "state-2", ls))
			b.clock.Advance(11 * time.Minute)
			_, err = b.reg.TakeLoginState(ctx, "state-2")
			require.ErrorIs(t, err, registry.ErrNotFound, "expired")
		})
	})

	t.Run("Password", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			u, err := b.reg.CreateUser(ctx, "erin", "erin@example.com", "", false)
			require.NoError(t, err)
			_, err = b.reg.VerifyPassword(ctx, "erin", "anything-at-all")
			require.ErrorIs(t, err, registry.ErrUnauthenticated, "no password set")
			require.ErrorIs(t, b.reg.SetPassword(ctx, "erin", "short"), registry.ErrBadRequest)
			require.NoError(t, b.reg.SetPassword(ctx, "erin", "long enough secret"))
			got, err := b.reg.VerifyPassword(ctx, "erin", "long enough secret")
			require.NoError(t, err)
			require.Equal(t, u.ID, got.ID)
			_, err = b.reg.VerifyPassword(ctx, "erin", "long enough secreT")
			require.ErrorIs(t, err, registry.ErrUnauthenticated)
			_, err2 := b.reg.VerifyPassword(ctx, "nobody", "long enough secret")
			require.ErrorIs(t, err2, registry.ErrUnauthenticated)
			require.Equal(t, err.Error(), err2.Error(), "same answer for unknown user and wrong password")

			require.NoError(t, b.reg.SetUserActive(ctx, u.ID, false))
			_, err = b.reg.VerifyPassword(ctx, "erin", "long enough secret")
			require.ErrorIs(t, err, registry.ErrForbidden)
		})
	})

	t.Run("Sessions", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			adm, err := b.reg.GetUserByLogin(ctx, "admin")
			require.NoError(t, err)
			secret, sess, err := b.reg.CreateSession(ctx, adm.ID, time.Hour)
			require.NoError(t, err)
			require.NotEmpty(t, sess.CsrfToken)
			p, info, err := b.reg.AuthenticateSession(ctx, secret)
			require.NoError(t, err)
			require.Equal(t, sess.ID, p.SessionID)
			require.Equal(t, sess.CsrfToken, info.CSRFToken)
			require.True(t, p.ActsAsAdmin())
			require.Contains(t, p.Scopes, auth.ScopeAdmin)
			_, _, err = b.reg.AuthenticateSession(ctx, secret+"x")
			require.ErrorIs(t, err, registry.ErrUnauthenticated)

			live, err := b.reg.ListSessions(ctx, adm.ID)
			require.NoError(t, err)
			require.Len(t, live, 1)

			b.clock.Advance(time.Hour)
			_, _, err = b.reg.AuthenticateSession(ctx, secret)
			require.ErrorIs(t, err, registry.ErrUnauthenticated, "expired")

			secret, sess, err = b.reg.CreateSession(ctx, adm.ID, time.Hour)
			require.NoError(t, err)
			require.NoError(t, b.reg.RevokeSession(ctx, sess.ID))
			_, _, err = b.reg.AuthenticateSession(ctx, secret)
			require.ErrorIs(t, err, registry.ErrUnauthenticated, "revoked")
		})
	})

	t.Run("SessionsOfReadOnlyUser", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			u, err := b.reg.CreateUser(ctx, "frank", "frank@example.com", "", true)
			require.NoError(t, err)
			require.NoError(t, b.reg.SetUserRoles(ctx, u.ID, registry.Roles{Admin: true, ReadOnly: true}))
			secret, _, err := b.reg.CreateSession(ctx, u.ID, time.Hour)
			require.NoError(t, err)
			p, _, err := b.reg.AuthenticateSession(ctx, secret)
			require.NoError(t, err)
			require.Equal(t, []auth.Scope{auth.ScopeRead}, p.Scopes)
			require.False(t, p.ActsAsAdmin())
		})
	})

	t.Run("DeactivationRevokesSessionsAndRefusesTokens", func(t *testing.T) {
		t.Parallel()
		forEachEngine(t, func(t *testing.T, engine string) {
			b := setup(t, engine)
			tok := b.s.Token(t, "gina", auth.WriteScopes)
			u, err := b.reg.GetUserByLogin(ctx, "gina")
			require.NoError(t, err)
			secret, _, err := b.reg.CreateSession(ctx, u.ID, time.Hour)
			require.NoError(t, err)

			require.NoError(t, b.reg.SetUserActive(ctx, u.ID, false))
			_, _, err = b.reg.AuthenticateSession(ctx, secret)
			require.ErrorIs(t, err, registry.ErrUnauthenticated)
			_, err = b.reg.Authenticate(ctx, auth.Credential{Secret: tok})
			require.ErrorIs(t, err, registry.ErrUnauthenticated)
			_, _, err = b.reg.CreateSession(ctx, u.ID, time.Hour)
			require.ErrorIs(t, err, registry.ErrForbidden)

			require.NoError(t, b.reg.SetUserActive(ctx, u.ID, true))
			_, _, err = b.reg.AuthenticateSession(ctx, secret)
			require.ErrorIs(t, err, registry.ErrUnauthenticated, "reactivation does not resurrect sessions")
			_, err = b.reg.Authenticate(ctx, auth.Credential{Secret: tok})
			require.NoError(t, err, "tokens work again")
			live, err := b.reg.ListSessions(ctx, u.ID)
			require.NoError(t, err)
			require.Empty(t, live)
		})
	})
}
