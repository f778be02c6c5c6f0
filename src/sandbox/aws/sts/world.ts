export interface CallerIdentity {
  Account: string
  Arn: string
  UserId: string
}

export type StsWorld = ReturnType<typeof createStsWorld>

export function createStsWorld(account: string) {
  const identity: CallerIdentity = {
    Account: account,
    Arn: `arn:aws:iam::${account}:user/switchyard-sandbox`,
    UserId: 'AIDASANDBOXEXAMPLE0001',
  }
  return {
    identity,

    /** Who GetCallerIdentity says the caller is; the account also appears in ARNs and owner ids. */
    setIdentity(change: Partial<CallerIdentity>): void {
      Object.assign(identity, change)
    },

    snapshotState() {
      return { identity: { ...identity } }
    },
  }
}
