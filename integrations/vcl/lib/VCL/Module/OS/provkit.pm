package VCL::Module::OS::provkit;

=head1 NAME

VCL::Module::OS::provkit - the OS calls VCL makes around provisioning, through provkit

=head1 DESCRIPTION

VCL's OS subroutines around a reservation (pre_capture, users, passwords, access, the
current image), each one request to the same C<provkit serve> as
L<VCL::Module::Provisioning::provkit>, whose configured OS module (Linux or Windows) does
the work over SSH. Core Perl and JSON::PP only.

=cut

use strict;
use warnings;
use base qw(VCL::Module::OS);
use VCL::Module::provkit::Common;

our $VERSION = '0.1.0';

*_call = \&VCL::Module::provkit::Common::call;
*_node = \&VCL::Module::provkit::Common::node;
*_succeeded = \&VCL::Module::provkit::Common::succeeded;

=head2 pre_capture({ end_state => 'off' | 'on' | 'reboot' })

Generalizes the guest and leaves it in end_state (default off). Returns 1 or 0.

=cut

sub pre_capture {
	my ($self, $arguments) = @_;
	my $end_state = ($arguments && $arguments->{end_state}) || 'off';
	return _succeeded($self, 'os.preCapture', { node => _node($self), endState => $end_state });
}

=head2 create_user([USERNAME, PASSWORD, ADMIN])

Creates the reservation's user (default: its login id and reservation password; an
administrator when the image grants root access). Returns 1 or 0.

=cut

sub create_user {
	my ($self, $username, $password, $admin) = @_;
	my $data = $self->data;
	$username ||= $data->get_user_login_id();
	$password = $data->get_reservation_password() unless defined $password;
	$admin = ($data->can('get_imagemeta_rootaccess') ? $data->get_imagemeta_rootaccess() : 0) unless defined $admin;
	return _succeeded($self, 'os.createUser', { node => _node($self), username => $username, (defined $password && length $password ? (password => $password) : ()), admin => $admin ? JSON::PP::true : JSON::PP::false });
}

=head2 delete_user([USERNAME])

Deletes the user and its home. Returns 1 or 0.

=cut

sub delete_user {
	my ($self, $username) = @_;
	$username ||= $self->data->get_user_login_id();
	return _succeeded($self, 'os.deleteUser', { node => _node($self), username => $username });
}

=head2 set_password(USERNAME, PASSWORD)

Sets a user's password (sent on the pipe only, never on a command line). Returns 1 or 0.

=cut

sub set_password {
	my ($self, $username, $password) = @_;
	$username ||= $self->data->get_user_login_id();
	$password = $self->data->get_reservation_password() unless defined $password;
	return _succeeded($self, 'os.setPassword', { node => _node($self), username => $username, password => $password });
}

=head2 grant_access([REMOTE_IP, PORTS])

Opens the ports (default 22) to the reservation's remote IP only. Returns 1 or 0.

=cut

sub grant_access {
	my ($self, $remote_ip, $ports) = @_;
	$remote_ip ||= $self->data->get_reservation_remote_ip();
	return _succeeded($self, 'os.grantAccess', { node => _node($self), remoteIp => $remote_ip, ports => $ports || [22] });
}

=head2 revoke_access([REMOTE_IP, PORTS])

Closes what grant_access opened. Returns 1 or 0.

=cut

sub revoke_access {
	my ($self, $remote_ip, $ports) = @_;
	$remote_ip ||= $self->data->get_reservation_remote_ip();
	return _succeeded($self, 'os.revokeAccess', { node => _node($self), remoteIp => $remote_ip, ports => $ports || [22] });
}

=head2 get_current_image_name

The image named in the guest's currentimage.txt; '' when it has none, undef on failure.

=cut

sub get_current_image_name {
	my ($self) = @_;
	my ($info, $error) = VCL::Module::provkit::Common::client($self)->call('os.readCurrentImage', { node => _node($self) });
	$self->{provkit_error} = $error;
	return undef if $error;
	return $info ? $info->{image} : '';
}

1;
