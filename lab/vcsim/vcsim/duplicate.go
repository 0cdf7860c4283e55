package main

import (
	"bytes"
	"encoding/xml"
	"net/http"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// cloneRequest is the part of a CloneVM_Task envelope the duplicate check reads.
type cloneRequest struct {
	Body struct {
		Clone *struct {
			This   types.ManagedObjectReference `xml:"_this"`
			Folder types.ManagedObjectReference `xml:"folder"`
			Name   string                       `xml:"name"`
		} `xml:"CloneVM_Task"`
	} `xml:"Body"`
}

// refuseDuplicateClones makes a CloneVM_Task onto a name its destination folder already
// holds end in a DuplicateName task error, as vCenter and ESXi do; the simulator of govmomi
// 0.24 would make a second VM of that name. It runs inside serialized's lock, so nothing
// changes the folder between the check and the task. The task is the simulator's own (a
// property collector follows it like any other). A request without a session cookie goes to
// the simulator untouched, which refuses it as NotAuthenticated.
func refuseDuplicateClones(next http.Handler, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bytes.Contains(body, []byte("<CloneVM_Task")) || !hasSessionCookie(r) {
			next.ServeHTTP(w, r)
			return
		}
		var request cloneRequest
		if err := xml.Unmarshal(body, &request); err != nil || request.Body.Clone == nil {
			next.ServeHTTP(w, r)
			return
		}
		clone := request.Body.Clone
		folder, ok := simulator.Map.Get(clone.Folder).(*simulator.Folder)
		source := simulator.Map.Get(clone.This)
		if !ok || source == nil {
			next.ServeHTTP(w, r)
			return
		}
		var existing types.ManagedObjectReference
		found := false
		simulator.Map.WithLock(folder, func() {
			if entity := simulator.Map.FindByName(clone.Name, folder.ChildEntity); entity != nil {
				existing, found = entity.Reference(), true
			}
		})
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		task := simulator.CreateTask(source, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, &types.DuplicateName{Name: clone.Name, Object: existing}
		})
		answerTask(w, task.Run())
	})
}

func hasSessionCookie(r *http.Request) bool {
	cookie, err := r.Cookie("vmware_soap_session")
	return err == nil && cookie.Value != ""
}
