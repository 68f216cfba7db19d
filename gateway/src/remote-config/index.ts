export { RemoteConfigApplier, mergeRemoteConfig, type RemoteConfigApplierDeps, type ConfigReport } from './remote-config-applier.ts';
