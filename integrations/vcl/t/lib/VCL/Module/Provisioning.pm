package VCL::Module::Provisioning;

# Stands in for vcld's VCL::Module::Provisioning base class (through VCL::Module): new() with
# the data structure, data() and os(). Only for running the provkit modules without VCL; a VCL
# installation has the real one.

use strict;
use warnings;

sub new {
	my ($class, $arguments) = @_;
	my $self = bless { data_structure => $arguments->{data_structure}, os => $arguments->{os} }, $class;
	return $self->can('initialize') && !$self->initialize() ? undef : $self;
}

sub data { return $_[0]{data_structure} }
sub os { return $_[0]{os} }

1;
