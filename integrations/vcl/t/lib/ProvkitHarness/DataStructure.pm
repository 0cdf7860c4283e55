package ProvkitHarness::DataStructure;

# Stands in for vcld's DataStructure (VCL::DataStructure): the reservation data object a VCL
# module reads through $self->data, reduced to the getters the provkit modules call, with
# values given by the test instead of VCL's database. Not part of the module an
# administrator copies.

use strict;
use warnings;

sub new {
	my ($class, %values) = @_;
	return bless { %values }, $class;
}

# The getters vcld's DataStructure generates, for the values this harness holds.
for my $name (qw(computer_short_name computer_node_name computer_private_ip_address image_name user_login_id reservation_password reservation_remote_ip imagemeta_rootaccess)) {
	no strict 'refs';
	*{"get_$name"} = sub { return $_[0]{$name} };
	*{"set_$name"} = sub { $_[0]{$name} = $_[1]; return 1 };
}

1;
