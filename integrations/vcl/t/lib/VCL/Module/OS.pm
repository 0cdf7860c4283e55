package VCL::Module::OS;

# Stands in for vcld's VCL::Module::OS base class (through VCL::Module): new() with the data
# structure, and data(). Only for running the provkit modules without VCL.

use strict;
use warnings;

sub new {
	my ($class, $arguments) = @_;
	return bless { data_structure => $arguments->{data_structure} }, $class;
}

sub data { return $_[0]{data_structure} }

1;
