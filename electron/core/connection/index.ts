export { Connection } from './connection.ts';
export type { ConnectionOptions } from './connection.ts';
export { connectAtLaunch } from './launch.ts';
export type { LaunchOptions } from './launch.ts';
