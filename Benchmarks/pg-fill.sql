-- Fills a PostgreSQL inventory (schema made by passbox) with 10,000 deliveries x 500 components
-- server-side, distributed like Benchmarks/InventoryBench (log4j-core in one delivery in ten).
\timing on
INSERT INTO deliveries (uid, station, audit_seq, audit_hash, command, admitted, verdict, time, operator, sha256, delivery_kind, size, vendor, product, version, product_kind, input, admitted_folder, file_count, component_count, pushed)
SELECT 'fill-'||g, 'station-'||(g%4), g, md5(g::text)||md5((g+1)::text), 'admit', 1, 'accepted',
       to_char(timestamp '2026-05-28 00:00:00' + (g * interval '10 minutes'), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'operator', md5(g::text)||md5((g*3)::text), 'directory', 81920, 'Acme', 'p', '1', 'firmware', '/media/usb/d'||g, 'p-'||g, 20, 500, 0
FROM generate_series(1, 10000) g;
INSERT INTO files (delivery_id, path, kind, size, sha256, status, manifest)
SELECT d.id, 'bin/f'||f||'.bin', 'regular', 4096, md5(d.id::text||'-'||f)||md5(f::text||'-'||d.id), 'verified', 'manifest.dsse.json'
FROM deliveries d CROSS JOIN generate_series(0, 19) f WHERE d.uid LIKE 'fill-%';
INSERT INTO signers (delivery_id, manifest, manifest_format, manifest_status, signer, status, algorithm, fingerprint)
SELECT id, 'manifest.dsse.json', 'dsse', 'verified', 'vendor', 'valid', 'ed25519', 'SHA256:k' FROM deliveries WHERE uid LIKE 'fill-%';
INSERT INTO sbom_documents (delivery_id, path, format, spec_version, signed, components)
SELECT id, 'sbom.cdx.json', 'cyclonedx', '1.6', 1, 500 FROM deliveries WHERE uid LIKE 'fill-%';
INSERT INTO components (delivery_id, document, name, version, purl, purl_type, purl_namespace, purl_name, purl_version, licenses, status, reason)
SELECT id, 'sbom.cdx.json', name, version,
       'pkg:'||eco||'/'||coalesce(ns||'/', '')||name||'@'||version, eco, ns, name, version, 'MIT', 'approved', 'allowed'
FROM (
  SELECT d.id,
         CASE WHEN c = 0 AND d.audit_seq % 10 = 0 THEN 'maven' ELSE (ARRAY['maven','npm','pypi','deb','generic'])[1 + ((hashint8(d.id * 1000 + c)::bigint & 2147483647) % 5)] END AS eco,
         CASE WHEN c = 0 AND d.audit_seq % 10 = 0 THEN 'org.apache.logging.log4j'
              WHEN ((hashint8(d.id * 1000 + c)::bigint & 2147483647) % 5) = 0 THEN 'org.example.g'||((hashint8(d.id * 1000 + c + 7)::bigint & 2147483647) % 50) END AS ns,
         CASE WHEN c = 0 AND d.audit_seq % 10 = 0 THEN 'log4j-core' ELSE 'pkg'||((hashint8(d.id * 1000 + c + 1)::bigint & 2147483647) % 5000) END AS name,
         CASE WHEN c = 0 AND d.audit_seq % 10 = 0 THEN (ARRAY['2.9.0','2.11.2','2.14.1','2.15.0','2.16.0','2.17.0','2.17.1','2.19.0','2.20.0','2.23.1'])[1 + ((hashint8(d.id)::bigint & 2147483647) % 10)]
              ELSE ((hashint8(d.id * 1000 + c + 2)::bigint & 2147483647) % 5)||'.'||((hashint8(d.id * 1000 + c + 3)::bigint & 2147483647) % 30)||'.'||((hashint8(d.id * 1000 + c + 4)::bigint & 2147483647) % 10) END AS version
  FROM deliveries d CROSS JOIN generate_series(0, 499) c WHERE d.uid LIKE 'fill-%'
) x;
ANALYZE;
SELECT count(*) FROM components;
SELECT pg_database_size(current_database());
