package VCL::Module::provkit::Client;

# A client of `provkit serve`: JSON-RPC 2.0, one message per line, over the pipes of a child
# process. One server per configuration file and per process (vcld forks a process per
# reservation; a child never reuses its parent's pipes), started on first use and kept, so its
# SSH connections stay warm between calls. Core Perl and JSON::PP only.

use strict;
use warnings;
use IPC::Open3 qw(open3);
use IO::Select;
use IO::Handle;
use JSON::PP;
use POSIX qw(WNOHANG);
use Symbol qw(gensym);
use Time::HiRes qw(time);

our $VERSION = '0.1.0';

my %SERVERS;    # "$$ config" => client
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

=head1 NAME

VCL::Module::provkit::Client - speaks to `provkit serve` (JSON-RPC 2.0 over stdio)

=head1 SYNOPSIS

 my $client = VCL::Module::provkit::Client->shared(config => '/etc/vcl/provkit.yaml');
 my ($result, $error) = $client->call('provisioner.powerStatus', { node => 'vm-1' });

=cut

# The command that runs provkit: $ENV{PROVKIT_COMMAND} split on spaces, else `provkit`.
sub _command {
	my (%options) = @_;
	return @{$options{command}} if $options{command};
	return split(/\s+/, $ENV{PROVKIT_COMMAND}) if $ENV{PROVKIT_COMMAND};
	return ('provkit');
}

=head2 shared(config => FILE, command => [ARGV], on_progress => CODE, on_log => CODE)

The server for this configuration in this process, started when there is none yet.

=cut

sub shared {
	my ($class, %options) = @_;
	my $config = $options{config} || $ENV{PROVKIT_CONFIG} || '/etc/vcl/provkit.yaml';
	my $key = "$$ $config";
	my $client = $SERVERS{$key};
	return $client if $client && $client->alive;
	$client = $class->start(%options, config => $config);
	$SERVERS{$key} = $client;
	return $client;
}

=head2 start(...)

Starts a new `provkit serve` (prefer C<shared>).

=cut

sub start {
	my ($class, %options) = @_;
	my ($in, $out);
	my $err = gensym;
	my @argv = (_command(%options), 'serve', '--config', $options{config});
	# Standard error goes to our own (vcld's log), so provkit's warnings are kept.
	my $pid = open3($in, $out, '>&STDERR', @argv);
	$in->autoflush(1);
	binmode($in);
	binmode($out);
	return bless {
		pid => $pid,
		in => $in,
		out => $out,
		select => IO::Select->new($out),
		buffer => '',
		next_id => 1,
		owner => $$,
		on_progress => $options{on_progress},
		on_log => $options{on_log} || sub { print STDERR "provkit: $_[0]\n" },
		timeout => $options{timeout} || 3600,
	}, $class;
}

=head2 alive

True while the server process runs and belongs to this process.

=cut

sub alive {
	my ($self) = @_;
	return 0 if $self->{owner} != $$ || !$self->{pid};
	return waitpid($self->{pid}, WNOHANG) == 0 ? 1 : 0;
}

# Reads one line from the server, waiting at most until $deadline; undef on timeout or EOF.
sub _read_line {
	my ($self, $deadline) = @_;
	while (1) {
		if ($self->{buffer} =~ s/^([^\n]*)\n//) {
			return $1;
		}
		my $left = $deadline - time();
		return undef if $left <= 0;
		my @ready = $self->{select}->can_read($left);
		next unless @ready;
		my $read = sysread($self->{out}, my $chunk, 65536);
		return undef unless $read;    # EOF: the server is gone
		$self->{buffer} .= $chunk;
	}
}

sub _send {
	my ($self, $message) = @_;
	my $handle = $self->{in};
	local $SIG{PIPE} = 'IGNORE';
	return print {$handle} $JSON->encode($message) . "\n";
}

=head2 call(METHOD, PARAMS, timeout => SECONDS, on_progress => CODE)

Sends one request and waits for its answer (bounded: on timeout a C<$/cancel> is sent and the
answer, an ABORTED error after provkit's clean-up, is awaited a while longer). Returns
C<($result, undef)> or C<(undef, $error)>, where C<$error> is the JSON-RPC error: C<code>,
C<message> and C<data> (provkit's C<code>, C<step>, C<retryable>, C<message>). Progress
notifications of the request go to C<on_progress> as they come.

=cut

sub call {
	my ($self, $method, $params, %options) = @_;
	my $id = $self->{next_id}++;
	my $on_progress = $options{on_progress} || $self->{on_progress};
	my $timeout = $options{timeout} || $self->{timeout};
	if (!$self->_send({ jsonrpc => '2.0', id => $id, method => $method, params => $params || {} })) {
		return (undef, { code => -32603, message => "provkit serve is not running: $!", data => { code => 'UNEXPECTED', retryable => JSON::PP::true, message => 'provkit serve is not running' } });
	}
	my $deadline = time() + $timeout;
	my $cancelled = 0;
	while (1) {
		my $line = $self->_read_line($deadline);
		if (!defined $line) {
			if (!$cancelled && $self->alive) {
				# Out of time: ask provkit to abort (it cleans up) and wait for its answer a while.
				$cancelled = 1;
				$self->_send({ jsonrpc => '2.0', method => '$/cancel', params => { id => $id } });
				$deadline = time() + 300;
				next;
			}
			return (undef, { code => -32603, message => "no answer from provkit serve to $method", data => { code => 'TIMEOUT', retryable => JSON::PP::true, message => "no answer from provkit serve to $method" } });
		}
		next if $line =~ /^\s*$/;
		my $message = eval { $JSON->decode($line) };
		if (!$message) {
			$self->{on_log}->("unreadable line from provkit serve: $line");
			next;
		}
		if (defined $message->{method}) {
			if ($message->{method} eq '$/progress' && $message->{params} && $message->{params}{id} == $id) {
				$on_progress->($message->{params}{event}) if $on_progress;
			}
			next;
		}
		next unless defined $message->{id} && $message->{id} eq $id;
		return (undef, $message->{error}) if $message->{error};
		return ($message->{result}, undef);
	}
}

=head2 close(timeout => SECONDS)

Closes the server's input (it aborts what still runs, cleans up and exits) and reaps it,
waiting at most C<timeout> seconds (default 120), then killing it.

=cut

sub close {
	my ($self, %options) = @_;
	return unless $self->{pid} && $self->{owner} == $$;
	close($self->{in});
	# The server's stdout reaches EOF when it exits: wait for that (bounded), not on a timer.
	my $deadline = time() + ($options{timeout} || 120);
	my $eof = 0;
	while (!$eof) {
		my $left = $deadline - time();
		last if $left <= 0;
		next unless $self->{select}->can_read($left);
		my $read = sysread($self->{out}, my $chunk, 65536);
		$eof = 1 unless $read;
	}
	kill('TERM', $self->{pid}) unless $eof;
	waitpid($self->{pid}, 0);
	my $status = $?;
	$self->{pid} = undef;
	return $status >> 8;
}

END {
	for my $client (values %SERVERS) {
		$client->close if $client && $client->{owner} == $$;
	}
}

1;
