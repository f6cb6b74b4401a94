package litestore

import (
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// RiverUIEndpoints returns the River UI API endpoints for this store's River
// client (nil before InitJobs). The web package mounts River UI with them
// behind its admin check; riverui has no authorization of its own.
func (s *Store) RiverUIEndpoints() uiendpoints.Bundle {
	if s.client == nil {
		return nil
	}
	return riverui.NewEndpoints(s.client, nil)
}
