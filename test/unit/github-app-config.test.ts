import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { testAppKey } from '../helpers/github-app.js';

// providers.github.app: the key from the environment or a file, never echoed in an error.

const { privateKey } = testAppKey();
const configWith = (github: Record<string, unknown>) =>
  dump({ providers: { github: { webhookSecret: 's', ...github } }, clusters: { prod: { inCluster: true } }, targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' }] });
const problems = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'driftless.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('providers.github.app', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-app-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the key from the environment, with newlines written as \\n', () => {
    const oneLine = privateKey.trim().replaceAll('\n', '\\n');
    const config = parseConfig(configWith({ app: { appId: '${APP_ID}', privateKey: '${APP_KEY}', installationId: 12 } }), 'driftless.yaml', { APP_ID: '42', APP_KEY: oneLine });
    expect(config.providers.github?.app).toEqual({ appId: 42, privateKey: privateKey.trim(), installationId: 12 });
  });

  it('reads the key from a file', async () => {
    const file = path.join(dir, 'app.pem');
    await writeFile(file, privateKey);
    const config = parseConfig(configWith({ app: { appId: 42, privateKeyFile: file } }), 'driftless.yaml', {});
    expect(config.providers.github?.app).toEqual({ appId: 42, privateKey: privateKey.trim() });
  });

  it('reads a relative key file from the config file\'s folder, not the working directory', async () => {
    await writeFile(path.join(dir, 'relative.pem'), privateKey);
    const config = parseConfig(configWith({ app: { appId: 42, privateKeyFile: 'relative.pem' } }), path.join(dir, 'driftless.yaml'), {});
    expect(config.providers.github?.app).toEqual({ appId: 42, privateKey: privateKey.trim() });
  });

  it.each([
    { name: 'no key', app: { appId: 42 }, expected: 'providers.github.app: set one of privateKey (the PEM, e.g. "${GITHUB_APP_PRIVATE_KEY}") and privateKeyFile (its path)' },
    { name: 'both keys', app: { appId: 42, privateKey, privateKeyFile: '/k.pem' }, expected: 'providers.github.app: set one of privateKey' },
    { name: 'a missing file', app: { appId: 42, privateKeyFile: '/nonexistent/app.pem' }, expected: 'providers.github.app.privateKeyFile: cannot read the file: ENOENT' },
    { name: 'not a PEM', app: { appId: 42, privateKey: 'ghp_secretvalue' }, expected: 'providers.github.app.privateKey: expected a PEM private key' },
    { name: 'a bad app id', app: { appId: 'abc', privateKey }, expected: 'providers.github.app.appId:' },
  ])('refuses $name, never echoing the key', ({ app, expected }) => {
    const found = problems(configWith({ app }));
    expect(found.join('\n')).toContain(expected);
    expect(found.join('\n')).not.toContain('ghp_secretvalue');
    expect(found.join('\n')).not.toContain('PRIVATE KEY-----\n');
  });

  it('refuses a token and an App together', () => {
    expect(problems(configWith({ token: 't', app: { appId: 42, privateKey } }))).toEqual(['providers.github.app: set token or app, not both']);
  });
});
