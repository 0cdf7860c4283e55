package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// clonePlan is what the next clones do, set by POST /provkit/clone-faults (a JSON body):
//   - async: CloneVM_Task answers at once with a task in state running, and the clone is made
//     afterwards, as on a real host (the stock simulator makes the clone before it answers);
//   - delayMs: the clone is made that long after the answer (implies async);
//   - hold: the clone waits until POST /provkit/clone-faults/release (implies async);
//   - fault: "fail" ends the task in InsufficientResourcesFault with nothing made;
//     "fail-after-create" makes the VM, then ends the task in that fault all the same (a clone
//     a host gave up on late, leaving its half-made VM);
//   - count: how many clones the plan applies to, then clones are plain again (0: all).
//
// The endpoints are the lab's own (loopback only, like the simulator), not part of vSphere.
type clonePlan struct {
	Async   bool   `json:"async"`
	DelayMs int    `json:"delayMs"`
	Hold    bool   `json:"hold"`
	Fault   string `json:"fault"`
	Count   int    `json:"count"`
}

// cloneFaults applies the plan to CloneVM_Task requests.
type cloneFaults struct {
	mu      sync.Mutex
	plan    clonePlan
	left    int // clones the plan still applies to; -1: all
	release chan struct{}
	running sync.WaitGroup
	// serial is serialized's lock: a delayed clone takes it when it runs, as a request does.
	serial *sync.Mutex
}

func newCloneFaults(serial *sync.Mutex) *cloneFaults {
	return &cloneFaults{release: make(chan struct{}), serial: serial}
}

// control serves the lab's fault endpoints; ok is false for any other path.
func (f *cloneFaults) control(w http.ResponseWriter, r *http.Request) (ok bool) {
	switch r.URL.Path {
	case "/provkit/clone-faults":
		var plan clonePlan
		if err := json.NewDecoder(r.Body).Decode(&plan); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		if plan.Fault != "" && plan.Fault != "fail" && plan.Fault != "fail-after-create" {
			http.Error(w, "fault must be fail or fail-after-create", http.StatusBadRequest)
			return true
		}
		f.mu.Lock()
		f.plan, f.left = plan, plan.Count
		if plan.Count == 0 {
			f.left = -1
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return true
	case "/provkit/clone-faults/release":
		// Lets every held clone go on and answers once all delayed clones have ended.
		f.mu.Lock()
		close(f.release)
		f.release = make(chan struct{})
		f.mu.Unlock()
		f.running.Wait()
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// take returns the plan for one clone, or false when clones are plain.
func (f *cloneFaults) take() (clonePlan, chan struct{}, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	plan := f.plan
	if f.left == 0 || (!plan.Async && !plan.Hold && plan.DelayMs == 0 && plan.Fault == "") {
		return plan, nil, false
	}
	if f.left > 0 {
		f.left--
	}
	return plan, f.release, true
}

// serve handles a CloneVM_Task under the plan (called inside serialized's lock); false: not
// faulted, the caller serves the request as usual.
func (f *cloneFaults) serve(next http.Handler, body []byte, w http.ResponseWriter, r *http.Request) bool {
	if !bytes.Contains(body, []byte("<CloneVM_Task")) || !hasSessionCookie(r) {
		return false
	}
	var request cloneRequest
	if err := xml.Unmarshal(body, &request); err != nil || request.Body.Clone == nil {
		return false
	}
	source := simulator.Map.Get(request.Body.Clone.This)
	if source == nil {
		return false
	}
	plan, release, ok := f.take()
	if !ok {
		return false
	}
	async := plan.Async || plan.Hold || plan.DelayMs > 0
	// The clone as the simulator makes it, on a recorded copy of the request (the duplicate
	// check runs then, as a real host checks the name when it registers the VM).
	clone := func() (types.AnyType, types.BaseMethodFault) {
		// Not the request's context: it ends with the answer, before a delayed clone runs.
		replay, _ := http.NewRequestWithContext(context.Background(), r.Method, r.URL.String(), bytes.NewReader(body))
		replay.Header = r.Header.Clone()
		recorder := httptest.NewRecorder()
		refuseDuplicateClones(next, body).ServeHTTP(recorder, replay)
		result, fault := innerTaskOutcome(recorder.Body.Bytes())
		if fault == nil && plan.Fault == "fail-after-create" {
			fault = &types.InsufficientResourcesFault{}
		}
		return result, fault
	}
	if !async {
		if plan.Fault == "fail" {
			clone = func() (types.AnyType, types.BaseMethodFault) { return nil, &types.InsufficientResourcesFault{} }
		}
		task := simulator.CreateTask(source, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return clone() })
		answerTask(w, task.Run())
		return true
	}
	task := simulator.CreateTask(source, "cloneVm", nil)
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
	f.running.Add(1)
	go func() {
		defer f.running.Done()
		if plan.DelayMs > 0 {
			time.Sleep(time.Duration(plan.DelayMs) * time.Millisecond)
		}
		if plan.Hold {
			<-release
		}
		var result types.AnyType
		var fault types.BaseMethodFault
		f.serial.Lock()
		if plan.Fault == "fail" {
			fault = &types.InsufficientResourcesFault{}
		} else {
			result, fault = clone()
		}
		f.serial.Unlock()
		state := types.TaskInfoStateSuccess
		var failure interface{}
		if fault != nil {
			state, result = types.TaskInfoStateError, nil
			failure = types.LocalizedMethodFault{Fault: fault, LocalizedMessage: fmt.Sprintf("%T", fault)}
		}
		simulator.Map.Update(task, []types.PropertyChange{
			{Name: "info.completeTime", Val: time.Now()},
			{Name: "info.state", Val: state},
			{Name: "info.result", Val: result},
			{Name: "info.error", Val: failure},
		})
	}()
	answerTask(w, task.Self)
	return true
}

// innerTaskOutcome reads the simulator's answer to a CloneVM_Task (a task it ran to its end).
func innerTaskOutcome(response []byte) (types.AnyType, types.BaseMethodFault) {
	var answer struct {
		Body struct {
			Response *struct {
				Returnval types.ManagedObjectReference `xml:"returnval"`
			} `xml:"CloneVM_TaskResponse"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(response, &answer); err != nil || answer.Body.Response == nil {
		return nil, &types.SystemError{Reason: "the simulator did not answer the clone"}
	}
	task, ok := simulator.Map.Get(answer.Body.Response.Returnval).(*simulator.Task)
	if !ok {
		return nil, &types.SystemError{Reason: "the simulator's clone task is gone"}
	}
	if task.Info.Error != nil {
		return nil, task.Info.Error.Fault
	}
	return task.Info.Result, nil
}

// answerTask writes a CloneVM_TaskResponse naming the task.
func answerTask(w http.ResponseWriter, ref types.ManagedObjectReference) {
	var name bytes.Buffer
	_ = xml.EscapeText(&name, []byte(ref.Value))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`+
		`<soapenv:Body><CloneVM_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></CloneVM_TaskResponse></soapenv:Body></soapenv:Envelope>`, name.String())
}
