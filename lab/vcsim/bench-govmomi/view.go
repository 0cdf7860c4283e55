package main

import (
	"context"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// computeResources loads every compute resource (clusters included) under root through a container view.
func computeResources(ctx context.Context, client *vim25.Client, root types.ManagedObjectReference, out *[]mo.ComputeResource) error {
	v, err := view.NewManager(client).CreateContainerView(ctx, root, []string{"ComputeResource"}, true)
	if err != nil {
		return err
	}
	defer v.Destroy(ctx)
	return v.Retrieve(ctx, []string{"ComputeResource"}, []string{"name", "resourcePool"}, out)
}
