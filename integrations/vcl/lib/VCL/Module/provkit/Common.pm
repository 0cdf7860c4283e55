package VCL::Module::provkit::Common;

# What VCL::Module::Provisioning::provkit and VCL::Module::OS::provkit share: the server
# client, the node as provkit names it, and logging through vcld's notify when it is there.

use strict;
use warnings;
use VCL::Module::provkit::Client;

our $VERSION = '0.1.0';

=head1 NAME

VCL::Module::provkit::Common - shared parts of the provkit provisioning and OS modules

=head2 client(MODULE)

The `provkit serve` of this process (configuration: $ENV{PROVKIT_CONFIG}, default
/etc/vcl/provkit.yaml), progress logged through vcld's notify.

=cut

sub client {
	my ($module) = @_;
	return VCL::Module::provkit::Client->shared(on_progress => sub { log_line('OK', "provkit $_[0]{operation}: $_[0]{step}" . (defined $_[0]{detail} ? " ($_[0]{detail})" : '')) });
}

=head2 node(MODULE, [COMPUTER_NAME])

The node for the reservation's computer: its short name (provkit's node name, as in the
configuration's `nodes`), with the computer's private IP address as its SSH address when vcld
knows one.

=cut

sub node {
	my ($module, $name) = @_;
	my $data = $module->data;
	$name ||= $data->get_computer_short_name();
	my $ip = $data->can('get_computer_private_ip_address') ? $data->get_computer_private_ip_address(0) : undef;
	return $name unless $ip;
	return { name => $name, address => { host => $ip } };
}

=head2 call(MODULE, METHOD, PARAMS)

Calls provkit; returns the result, or undef after logging the error (kept in
C<$module-E<gt>{provkit_error}> for the caller) as vcld logs a failed step.

=cut

sub call {
	my ($module, $method, $params, %options) = @_;
	my ($result, $error) = client($module)->call($method, $params, %options);
	$module->{provkit_error} = $error;
	if ($error) {
		my $data = $error->{data} || {};
		log_line($options{quiet_codes} && grep({ ($data->{code} || '') eq $_ } @{$options{quiet_codes}}) ? 'OK' : 'WARNING',
			"provkit $method failed: $error->{message} [" . ($data->{code} || $error->{code}) . (defined $data->{step} ? " at $data->{step}" : '') . ']');
		return undef;
	}
	return $result;
}

=head2 succeeded(MODULE, METHOD, PARAMS)

Calls a provkit method that answers nothing (null): 1 when it succeeded, 0 after logging its
error.

=cut

sub succeeded {
	my ($module, @call) = @_;
	call($module, @call);
	return $module->{provkit_error} ? 0 : 1;
}

=head2 log_line(LEVEL, MESSAGE)

vcld's C<notify($ERRORS{LEVEL}, 0, MESSAGE)> inside vcld; standard error elsewhere.

=cut

sub log_line {
	my ($level, $message) = @_;
	if (defined &VCL::utils::notify) {
		no strict 'refs';
		my %errors = %{'VCL::utils::ERRORS'};
		VCL::utils::notify($errors{$level}, 0, $message);
		return;
	}
	print STDERR "$level: $message\n";
}

1;
