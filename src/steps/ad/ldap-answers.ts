// What a DC's LDAP answers mean for an operator: AD's reasons for a failed bind (the `data` sub-code of
// result 49) and the result codes of a refused write, each with what to do next.

/** AD's bind failure reasons (the `data XXX` in the diagnostic message of result 49, MS-ADTS / KB 2000). */
const BIND_REASONS: Record<string, { what: string; todo: string }> = {
  '525': {
    what: 'the account does not exist',
    todo: 'check bind_dn (the DN, UPN or DOMAIN\\name of the account)',
  },
  '52e': { what: 'the password is wrong', todo: 'check the secret the target takes its password from' },
  '530': {
    what: 'the account may not log on at this time (logon hours)',
    todo: "widen the account's logon hours for the cutover window",
  },
  '531': {
    what: 'the account may not log on from this workstation',
    todo: "add this machine to the account's allowed workstations (userWorkstations), or clear that list",
  },
  '532': {
    what: 'the password has expired',
    todo: 'set a new password for the account and update the secret',
  },
  '533': {
    what: 'the account is disabled',
    todo: 'enable the account in AD (or use another service account)',
  },
  '568': {
    what: 'the account is in too many groups (token too large)',
    todo: 'use a service account with fewer group memberships',
  },
  '701': { what: 'the account has expired', todo: "extend the account's expiry date (accountExpires)" },
  '773': {
    what: 'the password must be changed before first logon',
    todo: 'set a password for the account (clear "must change password at next logon") and update the secret',
  },
  '775': {
    what: 'the account is locked out',
    todo: 'wait for the lockout to end or unlock the account; then look for what keeps sending a wrong password',
  },
}

/** AD's reason for a failed bind, from the diagnostic message of result 49, if it gives one. */
export function bindReason(message: string): { code: string; what: string; todo: string } | undefined {
  const code = /\bdata ([0-9a-f]{3,4})\b/i.exec(message)?.[1]?.toLowerCase()
  const reason = code === undefined ? undefined : BIND_REASONS[code]
  return code && reason ? { code, ...reason } : undefined
}

/** LDAP result codes (RFC 4511) a canary write can end with, and what each means for the operator. */
export function writeRefusal(
  code: number | undefined,
  o: { attribute: string; dn: string; bindDn: string; dc: string },
): { what: string; todo: string } {
  const { attribute, dn, bindDn, dc } = o
  switch (code) {
    case 50:
      return {
        what: `${bindDn} may not write ${attribute} of ${dn} (insufficient access rights, LDAP 50)`,
        todo: `grant ${bindDn} Write ${attribute} on ${dn} (delegate it on the migration OU), or use an account that has it`,
      }
    case 16:
    case 17:
      return {
        what: `the DC's schema has no attribute ${attribute} usable on ${dn} (LDAP ${code})`,
        todo: 'use an attribute the object class has, e.g. description or adminDescription',
      }
    case 19:
    case 21:
      return {
        what: `the DC refused the value for ${attribute}: too long or of the wrong syntax (LDAP ${code})`,
        todo: `use a string attribute that holds at least 100 characters, e.g. description`,
      }
    case 65:
      return {
        what: `${attribute} is not allowed on the object class of ${dn} (LDAP 65)`,
        todo: 'use an attribute the object class has, e.g. description, or another canary object',
      }
    case 10:
    case 53:
      return {
        what: `${dc} will not take writes (LDAP ${code}): it may be a read-only DC`,
        todo: 'make source a writable DC (the on-premises DC the change originates on)',
      }
    case 32:
      return {
        what: `${dn} no longer exists on ${dc} (LDAP 32)`,
        todo: 'create the canary object again, or fix canary.dn',
      }
    default:
      return {
        what: `the write was refused${code === undefined ? '' : ` (LDAP ${code})`}`,
        todo: `check that ${bindDn} may write ${attribute} of ${dn}`,
      }
  }
}
