// ad.sync over TLS against two real OpenLDAP servers: LDAPS and StartTLS with a CA from ca_file, and the
// ways that fails closed (an untrusted certificate, a missing ca_file).
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Target } from '../src/runbook/model.ts'
import { type SeedEntry, type SlapdPair, startSlapdPair } from '../src/sandbox/ldap/slapd.ts'
import { adSync } from '../src/steps/ad/sync.ts'
import type { StepImplementation } from '../src/steps/contract.ts'
import { certificateAuthority, opensslMissing } from './helpers/certificates.ts'
import { tempDir } from './helpers/cli.ts'
import { slapdSkipReason } from './helpers/slapd.ts'
import { createStepContext } from './helpers/step-context.ts'

const SUFFIX = 'dc=corp,dc=example'
const PASSWORD = 'Dc-Tls-Pw-4m8x2v'
const CANARY = `cn=canary,ou=Migration,${SUFFIX}`
const SEED: SeedEntry[] = [
  { dn: `ou=Migration,${SUFFIX}`, attributes: { objectClass: 'organizationalUnit', ou: 'Migration' } },
  { dn: CANARY, attributes: { objectClass: 'organizationalRole', cn: 'canary' } },
]

const skipReason = slapdSkipReason ?? opensslMissing()
const skip = skipReason ? `cannot run slapd with TLS here: ${skipReason}` : false
if (skip) console.log(`# skipping the TLS tests of ad.sync: ${skip}`)

/** The runbook folder: ca_file paths below are relative to it, as a runbook's are. */
const workdir = tempDir('ad-sync-tls')
const CERTS = 'certs'
let pair: SlapdPair | undefined

/** A CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated CA; all in certs/. */
function writeCertificates(dir: string): { certFile: string; keyFile: string; caFile: string } {
  const ca = certificateAuthority(dir, 'ca')
  certificateAuthority(dir, 'other-ca')
  return { ...ca.issue('server', 2), caFile: ca.caFile }
}

before(async () => {
  if (skip) return
  const tls = writeCertificates(join(workdir.dir, CERTS))
  pair = await startSlapdPair({ dir: join(workdir.dir, 'slapd'), seed: SEED, password: PASSWORD, tls })
})
after(async () => {
  await pair?.close()
  workdir.cleanup()
})

function servers(): { provider: Required<SlapdPair['provider']>; consumer: Required<SlapdPair['consumer']> } {
  const { provider, consumer } = pair ?? assert.fail('the slapd pair starts in before()')
  if (!provider.ldapsUrl || !consumer.ldapsUrl) assert.fail('the pair was started without tls')
  return { provider, consumer } as ReturnType<typeof servers>
}

type LdapSettings = NonNullable<Target['ldap']>

const ldapTarget = (settings: Pick<LdapSettings, 'url'> & Partial<LdapSettings>): Target => ({
  ldap: { bind_dn: `cn=admin,${SUFFIX}`, password: PASSWORD, timeout: '2s', ...settings },
})

function context(source: Target, target: Target) {
  return createStepContext({
    workdir: workdir.dir,
    secrets: [PASSWORD],
    targets: { 'dc-onprem': source, 'dc-aws': target },
  })
}

const PARAMS = (() => {
  const parsed = adSync.params.safeParse({
    source: 'dc-onprem',
    target: 'dc-aws',
    canary: { dn: CANARY },
    timeout: '10s',
    poll: '5ms',
  })
  if (!parsed.success) throw new Error(`bad params: ${JSON.stringify(parsed.error.issues)}`)
  return parsed.data
})()

const implementation = () => adSync.load() as Promise<StepImplementation>

async function errorOf(promise: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  assert.fail('expected the step to fail')
}

const TRUSTED_CA = `${CERTS}/ca.pem`
const OTHER_CA = `${CERTS}/other-ca.pem`
const PLAIN_WARNING = /uses plain LDAP/

describe('ad.sync over TLS against two OpenLDAP servers', { skip }, () => {
  test('over ldaps:// with the signing CA in ca_file, the canary reaches the target and nothing warns of plain LDAP', async () => {
    const { provider, consumer } = servers()
    const t = context(
      ldapTarget({ url: provider.ldapsUrl, ca_file: TRUSTED_CA }),
      ldapTarget({ url: consumer.ldapsUrl, ca_file: TRUSTED_CA }),
    )
    const step = await implementation()
    const out = (await step.apply(t.ctx, PARAMS, { changes: [] })) as { latency_ms: number }
    assert.ok(out.latency_ms > 0 && out.latency_ms < 10_000, `latency ${out.latency_ms}`)
    assert.ok(t.progress.some((p) => p.message?.startsWith('canary seen on dc-aws (ldaps://')))
    assert.ok(!t.progress.some((p) => PLAIN_WARNING.test(p.message ?? '')), JSON.stringify(t.progress))
  })

  test('over ldap:// with starttls and the signing CA in ca_file, the canary reaches the target', async () => {
    const { provider, consumer } = servers()
    const t = context(
      ldapTarget({ url: provider.url, starttls: true, ca_file: TRUSTED_CA }),
      ldapTarget({ url: consumer.url, starttls: true, ca_file: TRUSTED_CA }),
    )
    const step = await implementation()
    const out = (await step.apply(t.ctx, PARAMS, { changes: [] })) as { latency_ms: number }
    assert.ok(out.latency_ms > 0 && out.latency_ms < 10_000, `latency ${out.latency_ms}`)
    assert.ok(!t.progress.some((p) => PLAIN_WARNING.test(p.message ?? '')), JSON.stringify(t.progress))
  })

  for (const mode of ['ldaps', 'starttls'] as const)
    test(`a ${mode} certificate signed by a CA other than ca_file fails closed: not trusted, naming the DC and its url`, async () => {
      const { provider, consumer } = servers()
      const url = mode === 'ldaps' ? consumer.ldapsUrl : consumer.url
      const t = context(
        ldapTarget({ url: provider.ldapsUrl, ca_file: TRUSTED_CA }),
        ldapTarget({ url, ca_file: OTHER_CA, ...(mode === 'starttls' ? { starttls: true } : {}) }),
      )
      const step = await implementation()
      const error = await errorOf(step.apply(t.ctx, PARAMS, { changes: [] }))
      assert.ok(
        error.message.startsWith(`dc-aws (${url}): the DC's certificate is not trusted: `),
        error.message,
      )
      assert.match(error.message, /\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)$/)
      assert.match(error.hint ?? '', /the CA that signed the DC's certificate in the target's ca_file/)
      const everything = JSON.stringify({ message: error.message, stack: error.stack, progress: t.progress })
      assert.ok(!everything.includes(PASSWORD), everything)
    })

  test('a ca_file that does not exist fails before connecting, naming the file resolved against the runbook folder', async () => {
    const { provider, consumer } = servers()
    const t = context(
      ldapTarget({ url: provider.ldapsUrl, ca_file: TRUSTED_CA }),
      ldapTarget({ url: consumer.ldapsUrl, ca_file: 'certs/no-such-ca.pem' }),
    )
    const step = await implementation()
    const error = await errorOf(step.apply(t.ctx, PARAMS, { changes: [] }))
    const file = join(workdir.dir, 'certs', 'no-such-ca.pem')
    assert.equal(error.message, `dc-aws (${consumer.ldapsUrl}): ca_file ${file} does not exist`)
    assert.match(error.hint ?? '', /relative to the runbook/)
  })

  test('an empty ca_file (a param left blank) means the system store: a private CA is not trusted', async () => {
    const { provider, consumer } = servers()
    const t = context(
      ldapTarget({ url: provider.ldapsUrl, ca_file: TRUSTED_CA }),
      ldapTarget({ url: consumer.url, starttls: true, ca_file: '' }),
    )
    const step = await implementation()
    const error = await errorOf(step.apply(t.ctx, PARAMS, { changes: [] }))
    assert.ok(
      error.message.startsWith(`dc-aws (${consumer.url}): the DC's certificate is not trusted: `),
      error.message,
    )
  })

  test('plain ldap:// with insecure: true still works next to the TLS listeners, and warns', async () => {
    const { provider, consumer } = servers()
    const t = context(
      ldapTarget({ url: provider.url, insecure: true }),
      ldapTarget({ url: consumer.ldapsUrl, ca_file: TRUSTED_CA }),
    )
    const step = await implementation()
    await step.apply(t.ctx, PARAMS, { changes: [] })
    assert.deepEqual(
      t.warnings.filter((w) => PLAIN_WARNING.test(w)).map((w) => w.split(' uses ')[0]),
      [`dc-onprem (${provider.url})`],
    )
  })
})
