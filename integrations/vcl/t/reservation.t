#!/usr/bin/perl
# A whole VCL reservation through VCL::Module::Provisioning::provkit against a real provkit
# host ($ENV{PROVKIT_CONFIG}): load an image on a node, node_status READY, capture it as a new
# image, reload that image onto the same node, power off/on/status, unload. The harness stands
# in for vcld's DataStructure. Needs RESERVATION_NODE, RESERVATION_IMAGE, RESERVATION_CAPTURE.
# Run with: perl -Iintegrations/vcl/t/lib -Iintegrations/vcl/lib reservation.t
use strict;
use warnings;
use Test::More;
use ProvkitHarness::DataStructure;
use VCL::Module::Provisioning::provkit;
use VCL::Module::OS::provkit;

my ($node, $image, $capture) = @ENV{qw(RESERVATION_NODE RESERVATION_IMAGE RESERVATION_CAPTURE)};
die "RESERVATION_NODE, RESERVATION_IMAGE and RESERVATION_CAPTURE are required\n" unless $node && $image && $capture;

my $data = ProvkitHarness::DataStructure->new(computer_short_name => $node, image_name => $image);
my $os = VCL::Module::OS::provkit->new({ data_structure => $data });
my $provisioner = VCL::Module::Provisioning::provkit->new({ data_structure => $data, os => $os });
ok($provisioner, 'new() starts provkit serve');

# The reservation: vcld's new.pm asks node_status, loads when it is not READY.
is($provisioner->node_status()->{status}, 'RELOAD', 'node_status before load: RELOAD (no such node yet)');
is($provisioner->does_image_exist(), 1, 'does_image_exist: the image is in the library');
ok($provisioner->get_image_size() >= 1, 'get_image_size: megabytes, at least 1');
is($provisioner->load(), 1, 'load: the image on the node, post-load done');
my $status = $provisioner->node_status();
is($status->{status}, 'READY', 'node_status after load: READY');
is($status->{currentimage}, $image, 'node_status: currentimage is the loaded image');
is($provisioner->get_current_image_name(), $image, "get_current_image_name: the host's record");
is($os->get_current_image_name(), $image, "OS get_current_image_name: the guest's currentimage.txt");

# image.pm's capture: the new image's name in the data, pre_capture's semantics, then the copy.
$data->set_image_name($capture);
is($provisioner->does_image_exist(), 0, 'does_image_exist before capture: 0');
is($provisioner->capture(), 1, 'capture: generalized, powered off, stored');
is($provisioner->does_image_exist(), 1, 'does_image_exist after capture: 1');
ok($provisioner->get_image_size() >= 1, 'get_image_size of the capture: at least 1 megabyte');
is($provisioner->power_status(), 'off', 'power_status after capture (end state off): off');
is($provisioner->node_status()->{status}, 'RELOAD', 'node_status for the captured image on the stopped node: RELOAD');

# The next reservation reloads the same node with the captured image.
is($provisioner->load(), 1, 'reload: the captured image onto the same node');
$status = $provisioner->node_status();
is($status->{status}, 'READY', 'node_status after reload: READY');
is($status->{currentimage}, $capture, 'node_status after reload: currentimage is the captured image');

is($provisioner->power_off(), 1, 'power_off');
is($provisioner->power_status(), 'off', 'power_status: off');
is($provisioner->power_on(), 1, 'power_on');
is($provisioner->power_status(), 'on', 'power_status: on');

is($provisioner->unload(), 1, 'unload');
is($provisioner->get_current_image_name(), undef, 'get_current_image_name after unload: undef (no such node)');
is($provisioner->{provkit_error}{data}{code}, 'NODE_NOT_FOUND', "and provkit's code says why");
is($provisioner->unload(), 1, 'unload again: idempotent');
done_testing();
