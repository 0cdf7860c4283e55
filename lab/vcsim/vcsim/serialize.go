package main

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// serialized runs SDK requests one at a time, except WaitForUpdatesEx long polls (which
// would otherwise block every other client for their whole wait). The simulator of govmomi
// 0.24 panics under concurrent inventory changes (a clone registers its VM in the folder
// before naming it, so a concurrent FindByInventoryPath on that folder dies; concurrent
// destroys race on devices); a real vCenter serializes such changes itself.
//
// It also serves the lab's clone fault endpoints (faults.go) and applies their plan.
func serialized(next http.Handler) http.Handler {
	var mu sync.Mutex
	faults := newCloneFaults(&mu)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && faults.control(w, r) {
			return
		}
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("<WaitForUpdatesEx")) {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !faults.serve(next, body, w, r) {
			refuseDuplicateClones(next, body).ServeHTTP(w, r)
		}
	})
}
