import type { IGossipServer } from '@eventstore/db-client/generated/gossip_grpc_pb';
import { ClusterInfo, EndPoint, MemberInfo } from '@eventstore/db-client/generated/gossip_pb';
import type { IServerFeaturesServer } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { exceptionError, status, uuidMessage } from './protocol';

/** How the server answers `ServerFeatures.GetSupportedMethods`. */
export type FeaturesMode = 'batch-append' | 'append-only' | 'unimplemented';

/** `ServerFeatures` service: advertises BatchAppend or not, or answers UNIMPLEMENTED like an old server. */
export function serverFeaturesService(mode: () => FeaturesMode, version: string): IServerFeaturesServer {
  return {
    getSupportedMethods: (_call, callback) => {
      if (mode() === 'unimplemented') {
        return callback(exceptionError(status.UNIMPLEMENTED, 'unimplemented', 'GetSupportedMethods'));
      }
      const method = (service: string, name: string) =>
        new SupportedMethod().setServiceName(service).setMethodName(name);
      const streams = 'event_store.client.streams.streams';
      const methods = [method(streams, 'read'), method(streams, 'append')];
      if (mode() === 'batch-append') methods.push(method(streams, 'batchappend'));
      methods.push(method('event_store.client.gossip.gossip', 'read'));
      callback(null, new SupportedMethods().setEventStoreServerVersion(version).setMethodsList(methods));
    },
  };
}

/** `Gossip.Read`: a one-member cluster whose leader is this server. */
export function gossipService(
  address: () => { host: string; port: number },
  instanceId: string,
): IGossipServer {
  return {
    read: (_call, callback) => {
      const { host, port } = address();
      const member = new MemberInfo()
        .setInstanceId(uuidMessage(instanceId, true))
        .setTimeStamp((BigInt(Date.now()) * 10_000n).toString())
        .setState(MemberInfo.VNodeState.LEADER)
        .setIsAlive(true)
        .setHttpEndPoint(new EndPoint().setAddress(host).setPort(port));
      callback(null, new ClusterInfo().setMembersList([member]));
    },
  };
}
