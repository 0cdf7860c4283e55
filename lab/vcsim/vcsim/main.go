// Command vcsim serves the vSphere simulator from Debian's govmomi (package simulator) on a
// loopback HTTPS port, for provkit's lab. It prints one JSON line with the URL, credentials
// and certificate thumbprints, then serves until SIGTERM/SIGINT.
//
// Beyond the stock model it does four things a real host does and the simulator does not:
//   - it plays VMware Tools: shortly after a VM powers on, its guest reports Tools running and
//     an IP address; on power off both go away (the simulator alone never reports them);
//   - it refuses a clone onto a name its destination folder already holds with DuplicateName
//     (duplicate.go);
//   - it runs clones as asynchronous tasks on request, and injects clone faults, through the
//     lab's own endpoints POST /provkit/clone-faults and /provkit/clone-faults/release
//     (faults.go): a clone that is slow, held until released, fails, or fails after making
//     its VM;
//   - it prepares a library: one template (with a root snapshot, as provkit captures them) in
//     an images folder, so tests can load from it at once.
package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// toolsHandler is a registry handler that reacts to power-state changes of VMs.
type toolsHandler struct {
	self    types.ManagedObjectReference
	delay   time.Duration
	guestIP string
	mu      sync.Mutex
	gen     map[string]int
}

func (h *toolsHandler) Reference() types.ManagedObjectReference   { return h.self }
func (h *toolsHandler) PutObject(mo.Reference)                    {}
func (h *toolsHandler) RemoveObject(types.ManagedObjectReference) {}

func (h *toolsHandler) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	// The registry hands handlers the embedded mo.VirtualMachine, not the simulator's object.
	vm, ok := obj.(*mo.VirtualMachine)
	if !ok {
		return
	}
	for _, change := range changes {
		if change.Name != "runtime.powerState" {
			continue
		}
		state, _ := change.Val.(types.VirtualMachinePowerState)
		ref := vm.Self
		h.mu.Lock()
		h.gen[ref.Value]++
		gen := h.gen[ref.Value]
		h.mu.Unlock()
		// Asynchronous, as in a real guest: Tools start a moment after power on. The registry
		// calls handlers while the VM is locked, so the update runs on its own goroutine.
		go h.report(ref, gen, state == types.VirtualMachinePowerStatePoweredOn)
	}
}

func (h *toolsHandler) report(ref types.ManagedObjectReference, gen int, running bool) {
	if running {
		time.Sleep(h.delay)
	}
	h.mu.Lock()
	current := h.gen[ref.Value]
	h.mu.Unlock()
	if current != gen {
		return // a later power change superseded this one
	}
	obj := simulator.Map.Get(ref)
	if obj == nil {
		return
	}
	status, ip := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning), ""
	if running {
		status, ip = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning), h.guestIP
	}
	simulator.Map.WithLock(obj, func() {
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok || vm.Guest == nil {
			return
		}
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "guest.toolsRunningStatus", Val: status},
			{Name: "guest.ipAddress", Val: ip},
		})
	})
}

// prepareLibrary turns the model's first VM (off: the model does not autostart) into the
// template imageName, with a root snapshot as provkit captures them, inside imagesFolder
// (created under the datacenter's VM folder; empty: the VM folder itself).
func prepareLibrary(ctx context.Context, u *url.URL, imagesFolder, imageName string) (string, error) {
	client, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return "", err
	}
	defer client.Logout(ctx)
	finder := find.NewFinder(client.Client, true)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return "", err
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return "", err
	}
	vms, err := finder.VirtualMachineList(ctx, "*")
	if err != nil {
		return "", err
	}
	vm := vms[0]
	target := folders.VmFolder
	if imagesFolder != "" {
		target, err = folders.VmFolder.CreateFolder(ctx, imagesFolder)
		if err != nil {
			return "", err
		}
	}
	steps := []func() (*object.Task, error){
		func() (*object.Task, error) { return vm.CreateSnapshot(ctx, "provkit-base", "", false, false) },
		func() (*object.Task, error) { return vm.Rename(ctx, imageName) },
	}
	if imagesFolder != "" {
		steps = append(steps, func() (*object.Task, error) {
			return target.MoveInto(ctx, []types.ManagedObjectReference{vm.Reference()})
		})
	}
	for _, step := range steps {
		task, err := step()
		if err != nil {
			return "", err
		}
		if err := task.Wait(ctx); err != nil {
			return "", err
		}
	}
	if err := vm.MarkAsTemplate(ctx); err != nil {
		return "", err
	}
	return dc.InventoryPath, nil
}

func main() {
	mode := flag.String("mode", "esx", "model: esx (standalone ESXi) or vpx (vCenter)")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	certOut := flag.String("cert-out", "", "file to write the server certificate (PEM) to")
	toolsDelay := flag.Duration("tools-delay", 200*time.Millisecond, "delay between power on and Tools reporting running")
	guestIP := flag.String("guest-ip", "127.0.0.1", "IP address the guests' Tools report")
	imagesFolder := flag.String("images-folder", "", "folder (under the datacenter's VM folder) to hold the lab template; empty: the VM folder itself")
	imageName := flag.String("image", "base-v1", "name of the lab template")
	flag.Parse()

	var model *simulator.Model
	switch *mode {
	case "esx":
		model = simulator.ESX()
	case "vpx":
		model = simulator.VPX()
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	model.Autostart = false
	err := model.Create()
	if err != nil {
		log.Fatal(err)
	}
	defer model.Remove()
	model.Service.Listen = &url.URL{Host: *listen}
	model.Service.TLS, err = newTLSConfig()
	if err != nil {
		log.Fatal(err)
	}
	server := model.Service.NewServer()
	defer server.Close()
	// Swapped before the URL is printed, so before any client can send a request.
	server.Config.Handler = serialized(server.Config.Handler)

	cert := server.Certificate()
	if *certOut != "" {
		data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		if err := os.WriteFile(*certOut, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	datacenter, err := prepareLibrary(context.Background(), server.URL, *imagesFolder, *imageName)
	if err != nil {
		log.Fatalf("preparing the lab template: %s", err)
	}
	// Tools are played only after the library is prepared, so the template never reports them.
	simulator.Map.AddHandler(&toolsHandler{
		self:    types.ManagedObjectReference{Type: "ProvkitTools", Value: "tools"},
		delay:   *toolsDelay,
		guestIP: *guestIP,
		gen:     map[string]int{},
	})

	password, _ := server.URL.User.Password()
	sdk := *server.URL
	sdk.User = nil
	info := map[string]string{
		"url":              sdk.String(),
		"username":         server.URL.User.Username(),
		"password":         password,
		"thumbprintSha1":   colonHex(sha1Sum(cert.Raw)),
		"thumbprintSha256": colonHex(sha256Sum(cert.Raw)),
		"mode":             *mode,
		"datacenter":       datacenter,
		"image":            *imageName,
		"imagesFolder":     *imagesFolder,
	}
	line, _ := json.Marshal(info)
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

func sha1Sum(data []byte) []byte   { sum := sha1.Sum(data); return sum[:] }
func sha256Sum(data []byte) []byte { sum := sha256.Sum256(data); return sum[:] }

func colonHex(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
