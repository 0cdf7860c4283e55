package VCL::Module::Provisioning::provkit;

=head1 NAME

VCL::Module::Provisioning::provkit - VCL provisioning module that drives provkit

=head1 SYNOPSIS

Copy C<lib/VCL> into vcld's C<managementnode/lib>, set PROVKIT_CONFIG (default
/etc/vcl/provkit.yaml) in vcld's environment, and select C<provkit> (module
C<VCL::Module::Provisioning::provkit>) in VCL's provisioning table.

=head1 DESCRIPTION

VCL's provisioning subroutines, each one request to a long-lived C<provkit serve> (JSON-RPC
2.0 over its stdin and stdout, see docs/serve.md), which does the work with the provisioner
and OS module its configuration file describes (KVM or ESX, Linux or Windows guests). Written
against VCL's provisioning module interface (node_status, load, capture, power_*, image
queries). Core Perl and JSON::PP only.

=cut

use strict;
use warnings;
use base qw(VCL::Module::Provisioning);
use VCL::Module::provkit::Common;

our $VERSION = '0.1.0';

*_call = \&VCL::Module::provkit::Common::call;
*_node = \&VCL::Module::provkit::Common::node;
*_succeeded = \&VCL::Module::provkit::Common::succeeded;

=head2 initialize

Starts (or reuses) this process's C<provkit serve>. Returns 1.

=cut

sub initialize {
	my ($self) = @_;
	VCL::Module::provkit::Common::client($self);
	return 1;
}

=head2 node_status([COMPUTER_NAME])

VCL's node status: a hash reference whose C<status> is READY (powered on, SSH answers, the
reservation's image is loaded and post-load ran) or RELOAD (anything else, including a
post-load that never finished), with C<currentimage>, C<vmstate> (on/off/...), C<ssh> and
C<image_match>. A failure to ask is RELOAD as well (vcld then reloads, which is always safe).

=cut

sub node_status {
	my ($self, $name) = @_;
	$name = undef if ref $name;    # vcld may pass a computer id hash; the data object knows
	my $image = $self->data->get_image_name();
	my $status = _call($self, 'provisioner.nodeStatus', { node => _node($self, $name), image => $image });
	return { status => 'RELOAD', currentimage => '', vmstate => 'unknown', ssh => 0, image_match => 0 } unless $status;
	my $current = defined $status->{currentImage} ? $status->{currentImage} : '';
	return {
		status => $status->{status} eq 'ready' ? 'READY' : 'RELOAD',
		currentimage => $current,
		vmstate => $status->{power},
		ssh => $status->{ssh} ? 1 : 0,
		image_match => $current eq $image ? 1 : 0,
		post_load => $status->{status} eq 'ready' ? 1 : 0,
		detail => $status->{detail},
	};
}

=head2 load

Loads the reservation's image on its computer: provkit replaces a node it manages, boots it,
waits for SSH and runs post-load (host keys, hostname, currentimage.txt). Then, as VCL's load
does, gives the image's administrator accounts random passwords (provkit answers whose, never
the passwords): an OS module without user management (UNSUPPORTED_FUNCTIONALITY) is logged, any
other failure fails the load, unless $ENV{PROVKIT_RANDOMIZE_PASSWORDS} is 0. Returns 1 or 0.

=cut

sub load {
	my ($self) = @_;
	my $node = _node($self);
	my $image = $self->data->get_image_name();
	my $loaded = _call($self, 'provisioner.load', { node => $node, image => $image });
	return 0 unless $loaded;
	# PROVKIT_RANDOMIZE_PASSWORDS=0 leaves the image's administrator passwords as they are (a
	# guest with no chpasswd); otherwise a guest that cannot take new ones fails the load.
	return 1 if defined $ENV{PROVKIT_RANDOMIZE_PASSWORDS} && $ENV{PROVKIT_RANDOMIZE_PASSWORDS} eq '0';
	my $randomized = _call($self, 'os.randomizeAdminPasswords', { node => $node }, quiet_codes => ['UNSUPPORTED_FUNCTIONALITY']);
	if ($randomized) {
		VCL::Module::provkit::Common::log_line('OK', 'random passwords set for ' . join(', ', @{$randomized->{accounts}}));
	}
	elsif (($self->{provkit_error}{data}{code} || '') ne 'UNSUPPORTED_FUNCTIONALITY') {
		return 0;
	}
	return 1;
}

=head2 capture

Captures the computer as the reservation's (new) image: the OS module's pre_capture
(generalize, then power off: end state off), then the disk stored atomically in the library.
Returns 1 or 0.

=cut

sub capture {
	my ($self) = @_;
	my $captured = _call($self, 'provisioner.capture', { node => _node($self), image => $self->data->get_image_name(), endState => 'off' });
	return $captured ? 1 : 0;
}

=head2 unload

Powers off and removes the computer's VM and its own disks (idempotent). Not one of VCL's
required subroutines; for administrators and the harness.

=cut

sub unload {
	my ($self) = @_;
	return _succeeded($self, 'provisioner.unload', { node => _node($self) });
}

=head2 power_on, power_off, power_reset

Power the computer on, off (at once, as VCL's power_off pulls the plug; a clean shutdown is
the OS module's), or reset it. Return 1 or 0.

=cut

sub power_on { my ($self, $name) = @_; return _succeeded($self, 'provisioner.powerOn', { node => _node($self, $name) }); }
sub power_off { my ($self, $name) = @_; return _succeeded($self, 'provisioner.powerOff', { node => _node($self, $name), mode => 'hard' }); }
sub power_reset { my ($self, $name) = @_; return _succeeded($self, 'provisioner.powerReset', { node => _node($self, $name) }); }

=head2 power_status

'on', 'off', 'suspended' or 'unknown'; undef when provkit could not tell.

=cut

sub power_status {
	my ($self, $name) = @_;
	return _call($self, 'provisioner.powerStatus', { node => _node($self, $name) });
}

=head2 get_image_size([IMAGE_NAME])

What the image takes in the library, in VCL's units: megabytes (MiB, rounded up). Undef on
failure.

=cut

sub get_image_size {
	my ($self, $image) = @_;
	$image ||= $self->data->get_image_name();
	my $size = _call($self, 'provisioner.getImageSize', { image => $image });
	return undef unless $size;
	my $megabytes = int($size->{allocatedBytes} / 1048576);
	$megabytes++ if $size->{allocatedBytes} % 1048576;
	return $megabytes;
}

=head2 does_image_exist([IMAGE_NAME])

1 when the library holds the image, 0 when not; undef when provkit could not tell.

=cut

sub does_image_exist {
	my ($self, $image) = @_;
	$image ||= $self->data->get_image_name();
	my $exists = _call($self, 'provisioner.doesImageExist', { image => $image });
	return undef unless defined $exists;
	return $exists ? 1 : 0;
}

=head2 retrieve_image([IMAGE_NAME])

Copies the image from another library: the provkit configuration named by
$ENV{PROVKIT_RETRIEVE_CONFIG} (another management node's host), verified. Returns 1 or 0.

=cut

sub retrieve_image {
	my ($self, $image) = @_;
	$image ||= $self->data->get_image_name();
	my $from = $ENV{PROVKIT_RETRIEVE_CONFIG};
	if (!$from) {
		VCL::Module::provkit::Common::log_line('WARNING', 'retrieve_image needs PROVKIT_RETRIEVE_CONFIG: the provkit configuration of the library to copy from');
		return 0;
	}
	return _succeeded($self, 'provisioner.retrieveImage', { image => $image, fromConfig => $from });
}

=head2 get_current_image_name([COMPUTER_NAME])

The image the computer was loaded with, from the host's records; '' when none is recorded,
undef when provkit could not tell.

=cut

sub get_current_image_name {
	my ($self, $name) = @_;
	my ($result, $error) = VCL::Module::provkit::Common::client($self)->call('provisioner.getCurrentImage', { node => _node($self, $name) });
	$self->{provkit_error} = $error;
	return undef if $error;
	return defined $result ? $result : '';
}

1;
