#!/usr/bin/perl
# VCL::Module::Provisioning::provkit and VCL::Module::OS::provkit against a real `provkit serve`
# whose configuration ($ENV{PROVKIT_CONFIG}) uses packages/cli/test-support/serve-module (no
# host behind it): each VCL subroutine's request and its mapping of the answer into VCL's
# values and units. Run with: perl -Iintegrations/vcl/t/lib -Iintegrations/vcl/lib module.t
use strict;
use warnings;
use Test::More;
use ProvkitHarness::DataStructure;
use VCL::Module::Provisioning::provkit;
use VCL::Module::OS::provkit;

my $data = ProvkitHarness::DataStructure->new(
	computer_short_name => 'web-1',
	image_name => 'wanted-v1',
	user_login_id => 'alice',
	reservation_password => 'Canary-Pass-77',
	reservation_remote_ip => '203.0.113.7',
	imagemeta_rootaccess => 1,
);
my $os = VCL::Module::OS::provkit->new({ data_structure => $data });
my $provisioner = VCL::Module::Provisioning::provkit->new({ data_structure => $data, os => $os });
ok($provisioner, 'new() initializes (starts provkit serve)');

my $status = $provisioner->node_status();
is($status->{status}, 'READY', 'node_status: READY when provkit says ready for the reservation image');
is($status->{currentimage}, 'wanted-v1', 'node_status: currentimage');
is($status->{image_match}, 1, 'node_status: image_match');
$data->set_image_name('other-v1');
is($provisioner->node_status()->{status}, 'RELOAD', 'node_status: RELOAD for another image');
is($provisioner->does_image_exist(), 0, 'does_image_exist: 0');
$data->set_image_name('wanted-v1');
is($provisioner->does_image_exist(), 1, 'does_image_exist: 1');
is($provisioner->get_image_size(), 1, 'get_image_size: megabytes (1048576 allocated bytes)');
is($provisioner->load(), 1, 'load: 1');
is($provisioner->capture(), 1, 'capture: 1');
is($provisioner->power_status(), 'on', 'power_status: on');
is($provisioner->power_off(), 1, 'power_off: 1');
is($provisioner->power_on(), 1, 'power_on: 1');
is($provisioner->power_reset(), 1, 'power_reset: 1');
is($provisioner->get_current_image_name(), 'wanted-v1', 'get_current_image_name');
is($provisioner->get_current_image_name('blank'), '', "get_current_image_name: '' when none recorded");
is($provisioner->get_current_image_name('gone'), undef, 'get_current_image_name: undef on failure');
is($provisioner->{provkit_error}{data}{code}, 'NODE_NOT_FOUND', "the failure's provkit code is kept");
$data->set_image_name('broken-v1');
is($provisioner->load(), 0, 'load: 0 on failure');
is($provisioner->{provkit_error}{data}{step}, 'machine-booted', 'the failed step is kept');
$data->set_image_name('wanted-v1');
is($os->pre_capture({ end_state => 'off' }), 1, 'pre_capture: 1');
is($os->create_user(), 1, 'create_user: 1');
is($os->grant_access(), 1, 'grant_access: 1');
is($os->set_password(), 0, 'set_password: 0 when the module fails');
unlike($os->{provkit_error}{message}, qr/Canary-Pass-77/, "set_password's error does not carry the password");
is($os->get_current_image_name(), 'wanted-v1', "OS get_current_image_name: the guest's currentimage.txt");
is($provisioner->unload(), 1, 'unload: 1');
done_testing();
