export * from './domain.ts';
export * from './api.ts';
export * from './notify.ts';
export * from './github.ts';
