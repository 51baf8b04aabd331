// Request JSON is stored deflated with a preset dictionary of the ApprovalRequest shape's keys and
// usual values: ~1.4 KiB of JSON (gates snapshot whole policies) becomes ~0.3 KiB. That halves the
// cache file, and with it every cold start (read + CRC + copy into sql.js) and every save (export +
// write + fsync). First byte = codec id; 0 is plain UTF-8 JSON.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Codec 1's dictionary. NEVER edit it: stored rows depend on it byte for byte; add a codec instead. */
const DICT_V1 = Buffer.from(
  [
    '"requesterCanApprove":false,"adminBypass":false,"requireReason":false}',
    '"requesterCanApprove":false,"adminBypass":true,"requireReason":true}',
    '"quorum":{"minApprovals":1,"minDistinctTeams":0,"requiredUserIds":[],"requiredTeamIds":[],"requiredOrgRoles":[]},',
    '"quorum":{"minApprovals":2,"minDistinctTeams":1,"requiredUserIds":[],"requiredTeamIds":[],"requiredOrgRoles":[]},',
    '"approvers":{"userIds":[],"teamIds":["team_"],"orgRoles":["release-manager"]},',
    '"approvers":{"userIds":["usr_"],"teamIds":[],"orgRoles":[]},',
    '{"id":"restricted:env_","kind":"restricted","environmentId":"env_","name":"Restricted environment",',
    '{"id":"pol_","kind":"policy","policyId":"pol_","name":"',
    '"decisions":[{"userId":"usr_","kind":"approve","comment":"","reviewedDigest":"sha256:","at":"20',
    '{"userId":"usr_","kind":"reject","comment":"',
    '"status":"pending","warnings":[],"status":"approved","status":"rejected","status":"cancelled","status":"expired",',
    '"breakGlassSessionId":"bgs_","createdAt":"20","updatedAt":"20","expiresAt":"20',
    '-01T00:00:00.000Z","',
    '"payload":{"revision":"","summary":"Deploy ","diffBytes":0,"diffLines":0},"digest":"sha256:',
    '"justification":"","gates":[',
    '"resource":{"projectId":"prj_","environmentId":"env_","clusterId":"cls_"},"requesterId":"usr_",',
    '"action":"release.deploy","action":"promotion.execute","action":"rollback.execute","action":"manifest.apply",',
    '"action":"cluster.restart","action":"cluster.scale","action":"token.issue","action":"breakglass.initiate",',
    'production","staging","{"id":"req_',
  ].join(''),
  'utf8',
);

const PLAIN = 0;
const DEFLATE_V1 = 1;

export function encodeJson(json: string): Uint8Array {
  const body = deflateRawSync(json, { level: 6, dictionary: DICT_V1 });
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = DEFLATE_V1;
  out.set(body, 1);
  return out;
}

export function decodeJson(stored: unknown): string {
  if (typeof stored === 'string') return stored;
  if (!(stored instanceof Uint8Array) || stored.byteLength === 0) throw new Error('cache: unreadable request data');
  const body = stored.subarray(1);
  switch (stored[0]) {
    case PLAIN:
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    case DEFLATE_V1:
      return inflateRawSync(body, { dictionary: DICT_V1 }).toString('utf8');
    default:
      throw new Error(`cache: unknown request data codec ${stored[0]}`);
  }
}
