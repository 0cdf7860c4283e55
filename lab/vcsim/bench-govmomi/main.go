// Command bench-govmomi is the baseline of provkit's ESX benchmark: the same load/unload
// cycles as packages/provisioner-esx/bench, written with govmomi (Debian's, GOPATH mode).
// A load: find the template by inventory path, read its root snapshot, check the node name
// is free, linked-clone it, power on, wait for Tools to report an IP. An unload: find the
// node, read its power state, power off, destroy. Every task is followed to its end.
// It prints one JSON line: wall time and SOAP requests per phase.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type opKey struct{}

// counter counts SOAP requests per operation (taken from the request's context).
type counter struct {
	base   http.RoundTripper
	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	op, _ := req.Context().Value(opKey{}).(string)
	if op == "" {
		// govmomi destroys the collectors of its waits with context.Background().
		op = "unattributed"
	}
	c.mu.Lock()
	c.counts[op]++
	c.mu.Unlock()
	// Under concurrency the simulator sometimes closes a kept-alive connection as a request
	// is sent on it; net/http resends such a request only when it is marked replayable.
	replay := req.Clone(req.Context())
	replay.Header.Set("X-Idempotency-Key", "provkit-bench")
	return c.base.RoundTrip(replay)
}

func main() {
	rawURL := flag.String("url", "", "SDK URL")
	username := flag.String("username", "", "user")
	caFile := flag.String("ca-file", "", "CA file to trust")
	datacenter := flag.String("datacenter", "", "datacenter inventory path without the leading /")
	imagesFolder := flag.String("images-folder", "", "folder of the template under the VM folder")
	image := flag.String("image", "", "template name")
	cycles := flag.Int("cycles", 50, "load/unload cycles")
	concurrency := flag.Int("concurrency", 8, "cycles at once")
	prefix := flag.String("prefix", "gobench", "node name prefix")
	flag.Parse()

	// The password comes on standard input, never on the command line.
	secret, err := io.ReadAll(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	password := strings.TrimRight(string(secret), "\r\n")
	ctx := context.Background()
	setup := context.WithValue(ctx, opKey{}, "setup")
	u, err := url.Parse(*rawURL)
	if err != nil {
		log.Fatal(err)
	}
	soapClient := soap.NewClient(u, false)
	if err := soapClient.SetRootCAs(*caFile); err != nil {
		log.Fatal(err)
	}
	count := &counter{base: soapClient.Client.Transport, counts: map[string]int{}}
	soapClient.Client.Transport = count
	client, err := vim25.NewClient(setup, soapClient)
	if err != nil {
		log.Fatal(err)
	}
	if err := session.NewManager(client).Login(setup, url.UserPassword(*username, password)); err != nil {
		log.Fatal(err)
	}
	index := object.NewSearchIndex(client)
	imagesPath := *datacenter + "/vm"
	if *imagesFolder != "" {
		imagesPath += "/" + *imagesFolder
	}
	nodesPath := *datacenter + "/vm"
	mustFind := func(ctx context.Context, path string) object.Reference {
		ref, err := index.FindByInventoryPath(ctx, path)
		if err != nil || ref == nil {
			log.Fatalf("find %s: %v", path, err)
		}
		return ref
	}
	// Placement, once, as provkit resolves it once per provisioner.
	folder := object.NewFolder(client, mustFind(setup, nodesPath).Reference())
	pool := rootPool(setup, client, mustFind(setup, *datacenter).Reference())
	collector := property.DefaultCollector(client)

	load := func(ctx context.Context, name string) error {
		ref := mustFind(ctx, imagesPath+"/"+*image)
		template := object.NewVirtualMachine(client, ref.Reference())
		var props mo.VirtualMachine
		if err := collector.RetrieveOne(ctx, template.Reference(), []string{"snapshot", "config.template"}, &props); err != nil {
			return err
		}
		if props.Snapshot == nil || len(props.Snapshot.RootSnapshotList) != 1 {
			return fmt.Errorf("template has no single root snapshot")
		}
		if existing, err := index.FindByInventoryPath(ctx, nodesPath+"/"+name); err != nil || existing != nil {
			return fmt.Errorf("node %s exists or lookup failed: %v", name, err)
		}
		snapshot := props.Snapshot.RootSnapshotList[0].Snapshot
		spec := types.VirtualMachineCloneSpec{
			Location: types.VirtualMachineRelocateSpec{Pool: &pool, DiskMoveType: string(types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking)},
			Snapshot: &snapshot,
			Config:   &types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: "provkit.image", Value: *image}}},
		}
		task, err := template.Clone(ctx, folder, name, spec)
		if err != nil {
			return err
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			return err
		}
		vm := object.NewVirtualMachine(client, info.Result.(types.ManagedObjectReference))
		task, err = vm.PowerOn(ctx)
		if err != nil {
			return err
		}
		if err := task.Wait(ctx); err != nil {
			return err
		}
		_, err = vm.WaitForIP(ctx)
		return err
	}
	unload := func(ctx context.Context, name string) error {
		ref, err := index.FindByInventoryPath(ctx, nodesPath+"/"+name)
		if err != nil || ref == nil {
			return fmt.Errorf("find node %s: %v", name, err)
		}
		vm := object.NewVirtualMachine(client, ref.Reference())
		state, err := vm.PowerState(ctx)
		if err != nil {
			return err
		}
		if state != types.VirtualMachinePowerStatePoweredOff {
			task, err := vm.PowerOff(ctx)
			if err != nil {
				return err
			}
			if err := task.Wait(ctx); err != nil {
				return err
			}
		}
		task, err := vm.Destroy(ctx)
		if err != nil {
			return err
		}
		return task.Wait(ctx)
	}

	started := time.Now()
	var next int64 = -1
	var wg sync.WaitGroup
	var failures []string
	var failMu sync.Mutex
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= *cycles {
					return
				}
				name := fmt.Sprintf("%s-%d", *prefix, i)
				err := load(context.WithValue(ctx, opKey{}, "load"), name)
				if err == nil {
					err = unload(context.WithValue(ctx, opKey{}, "unload"), name)
				}
				if err != nil {
					failMu.Lock()
					failures = append(failures, err.Error())
					failMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(started)
	_ = session.NewManager(client).Logout(setup)
	out, _ := json.Marshal(map[string]interface{}{
		"wallMs":   wall.Milliseconds(),
		"cycles":   *cycles,
		"requests": count.counts,
		"failures": failures,
	})
	fmt.Println(string(out))
	if len(failures) > 0 {
		fmt.Fprintln(os.Stderr, strings.Join(failures, "\n"))
		os.Exit(1)
	}
}

// rootPool returns the root resource pool of the datacenter's first compute resource (by name).
func rootPool(ctx context.Context, client *vim25.Client, dc types.ManagedObjectReference) types.ManagedObjectReference {
	var computes []mo.ComputeResource
	if err := computeResources(ctx, client, dc, &computes); err != nil {
		log.Fatal(err)
	}
	best := computes[0]
	for _, c := range computes[1:] {
		if c.Name < best.Name {
			best = c
		}
	}
	return *best.ResourcePool
}
