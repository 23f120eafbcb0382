/**
 * `npm run pki -- publish <site> --bucket <name>` against moto's S3: each server's set under its own prefix,
 * every object SSE-KMS (the bucket's key, or the one --kms-key names), byte for byte what the PKI holds.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { AwsClients } from '../../src/aws/clients.js';
import { Authority } from '../../src/pki/authority.js';
import { SiteDir } from '../../src/pki/site-dir.js';
import { sandboxEnv } from '../helpers/sandbox-process.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { MOTO_CREDENTIALS, MOTO_REGION, type MotoServer, startMoto } from './support/moto-server.js';

const run = promisify(execFile);
jest.setTimeout(120_000);

describeWithMoto('pki publish to the certificate bucket (moto S3)', () => {
  let moto: MotoServer;
  let root: string;
  let clients: AwsClients;
  let s3: S3Client;
  let dir: SiteDir;
  const bucket = 'tunnelops-dc1-certs';

  beforeAll(async () => {
    moto = await startMoto();
    root = await mkdtemp(join(tmpdir(), 'pki-moto-'));
    dir = new SiteDir(join(root, 'pki'), 'dc1');
    await new Authority(dir).init();
    await new Authority(dir).issue(['primary', 'secondary']);
    clients = new AwsClients({ endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    s3 = clients.s3(MOTO_REGION);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    clients?.destroy();
    await moto?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const publish = (extra: string[]) =>
    run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/pki.ts', 'publish', 'dc1', '--bucket', bucket, ...extra],
      {
        env: sandboxEnv({
          TUNNELOPS_PKI_DIR: join(root, 'pki'),
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_REGION: MOTO_REGION,
          AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        }),
        timeout: 60_000,
      },
    );

  it('puts each server set under <site>/<tunnel>/, SSE-KMS, equal to the local files', async () => {
    const keyId = 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    const r = await publish(['--kms-key', keyId]);
    expect(r.stdout).toContain(`published s3://${bucket}/dc1/primary/server.crt`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      ['primary', 'secondary'].flatMap((t) =>
        ['ca.crt', 'crl.pem', 'server.crt', 'server.key', 'tls-crypt.key'].map((f) => `dc1/${t}/${f}`),
      ),
    );
    for (const o of listed.Contents ?? []) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: o.Key }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(head.SSEKMSKeyId).toBe(keyId);
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dc1/secondary/server.key' }));
    expect(await got.Body?.transformToString()).toBe(await readFile(dir.key('secondary', 'server'), 'utf8'));
  });

  it("a revocation published for one tunnel replaces that prefix's CRL, SSE-KMS with the bucket's key", async () => {
    const before = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dc1/primary/crl.pem' }));
    const beforeText = await before.Body?.transformToString();
    const client = (await dir.readState()).certs.find((c) => c.role === 'client' && c.tunnel === 'primary');
    await new Authority(dir).revoke(client?.serial ?? '', 'keyCompromise');
    await publish(['--tunnel', 'primary']);
    const after = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dc1/primary/crl.pem' }));
    const afterText = await after.Body?.transformToString();
    expect(afterText).not.toBe(beforeText);
    expect(afterText).toBe(await readFile(dir.crl, 'utf8'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dc1/primary/crl.pem' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    // --tunnel primary left the secondary's CRL as it was.
    const other = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dc1/secondary/crl.pem' }));
    expect(await other.Body?.transformToString()).toBe(beforeText);
  });
});
