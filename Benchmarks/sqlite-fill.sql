-- Fills a SQLite inventory (schema made by passbox: run `inventory-bench query sqlite:PATH`
-- on the new file first) with 10,000 deliveries x 500 components in SQL, distributed
-- like Benchmarks/InventoryBench (log4j-core in one delivery in ten). Minutes instead of
-- the quarter of an hour that recording them one by one takes on a shared machine.
--   sqlite3 PATH < Benchmarks/sqlite-fill.sql
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10000)
INSERT INTO deliveries (uid, station, audit_seq, audit_hash, command, admitted, verdict, time, operator, sha256, delivery_kind, size,
                        vendor, product, version, product_kind, input, admitted_folder, file_count, component_count, pushed)
SELECT 'fill-' || n, 'station-' || (n % 4), n, printf('%016x%016x', random(), random()), 'admit', 1, 'accepted',
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-05-28 00:00:00', '+' || (n * 10) || ' minutes'),
       'operator', printf('%016x%016x%016x%016x', random(), random(), random(), random()), 'directory', 81920,
       'Acme', 'p', '1', 'firmware', '/media/usb/d' || n, 'p-' || n, 20, 500, 1
FROM g;
WITH RECURSIVE f(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM f WHERE n < 19)
INSERT INTO files (delivery_id, path, kind, size, sha256, status, manifest)
SELECT d.id, 'bin/f' || f.n || '.bin', 'regular', 4096, printf('%016x%016x%016x%016x', random(), random(), random(), random()),
       'verified', 'manifest.dsse.json'
FROM deliveries d, f WHERE d.uid LIKE 'fill-%';
INSERT INTO signers (delivery_id, manifest, manifest_format, manifest_status, signer, status, algorithm, fingerprint)
SELECT id, 'manifest.dsse.json', 'dsse', 'verified', 'vendor', 'valid', 'ed25519', 'SHA256:k' FROM deliveries WHERE uid LIKE 'fill-%';
INSERT INTO sbom_documents (delivery_id, path, format, spec_version, signed, components)
SELECT id, 'sbom.cdx.json', 'cyclonedx', '1.6', 1, 500 FROM deliveries WHERE uid LIKE 'fill-%';
WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 499),
x AS (
  SELECT d.id, d.audit_seq, c.n AS c, abs(random()) % 5 AS e, abs(random()) % 5000 AS p,
         (abs(random()) % 5) || '.' || (abs(random()) % 30) || '.' || (abs(random()) % 10) AS v
  FROM deliveries d, c WHERE d.uid LIKE 'fill-%'
),
y AS (
  SELECT id,
         CASE WHEN c = 0 AND audit_seq % 10 = 0 THEN 'maven' ELSE (CASE e WHEN 0 THEN 'maven' WHEN 1 THEN 'npm' WHEN 2 THEN 'pypi' WHEN 3 THEN 'deb' ELSE 'generic' END) END AS eco,
         CASE WHEN c = 0 AND audit_seq % 10 = 0 THEN 'org.apache.logging.log4j' WHEN e = 0 THEN 'org.example.g' || (p % 50) END AS ns,
         CASE WHEN c = 0 AND audit_seq % 10 = 0 THEN 'log4j-core' ELSE 'pkg' || p END AS name,
         CASE WHEN c = 0 AND audit_seq % 10 = 0
              THEN (CASE abs(random()) % 10 WHEN 0 THEN '2.9.0' WHEN 1 THEN '2.11.2' WHEN 2 THEN '2.14.1' WHEN 3 THEN '2.15.0' WHEN 4 THEN '2.16.0'
                    WHEN 5 THEN '2.17.0' WHEN 6 THEN '2.17.1' WHEN 7 THEN '2.19.0' WHEN 8 THEN '2.20.0' ELSE '2.23.1' END)
              ELSE v END AS version
  FROM x
)
INSERT INTO components (delivery_id, document, name, version, purl, purl_type, purl_namespace, purl_name, purl_version, licenses, status, reason)
SELECT id, 'sbom.cdx.json', name, version, 'pkg:' || eco || '/' || coalesce(ns || '/', '') || name || '@' || version,
       eco, ns, name, version, 'MIT', 'approved', 'allowed'
FROM y;
COMMIT;
ANALYZE;
SELECT count(*) FROM components;
