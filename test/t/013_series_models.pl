# Stored series models survive pg_dump and pg_restore (the model row and
# every series' state, FK order kept) and a restart: the next point of a
# series scores the same in the source, the restored database and after the
# restart.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('series');
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', q(
	CREATE EXTENSION anomaly;
	CREATE TABLE metrics AS
	  SELECT host, timestamptz '2026-01-01 00:00+00' + i * interval '1 hour' AS ts,
	         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31) AS value
	    FROM generate_series(0, 299) i, (VALUES ('a'), ('b'), ('c')) v(host);
	SELECT anomaly_ts_train('load', 'metrics', 'ts', 'value', ARRAY['host'],
	                        '{"learning": 100, "gap": "fill"}');
	SELECT anomaly_ts_update('load', 'a', timestamptz '2026-01-13 12:00+00', 150);
));
my $states_sql = "SELECT string_agg(s.series || ' ' || s.last_ts || ' ' || s.step || ' ' || s.points "
  . "|| ' ' || md5(s.state), ', ' ORDER BY s.series) FROM anomaly_ts_state s";
my $states = $node->safe_psql('source', $states_sql);
like($states, qr/^a .* 301 [0-9a-f]{32}, b .* 300 [0-9a-f]{32}, c .* 300 [0-9a-f]{32}$/,
	'three series states, one fed a point');

my $next_sql = "SELECT p::text FROM anomaly_ts_update('load', 'b', timestamptz '2026-01-13 14:00+00', 90) p";

my $dump = $node->basedir . '/series.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'source' ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'restored', $dump ], 'pg_restore');
is($node->safe_psql('restored', $states_sql), $states, 'every series state is restored unchanged');

$node->restart;
is($node->safe_psql('source', $states_sql), $states, 'every series state is kept across a restart');
my $next = $node->safe_psql('source', $next_sql);
like($next, qr/^\(/, 'the next point of b is scored');
is($node->safe_psql('restored', $next_sql), $next,
	'the restored model scores the next point of b the same');

$node->stop;
done_testing();
