// The API server's public surface. See README.md for the request path.
export { startApiServer, SYSTEM_NAMESPACES, type ApiServer, type ApiServerOptions } from './server.js';
export { TokenAuthenticator, ClientCertAuthenticator, type Authenticator, type UserInfo } from './authn.js';
export type { Authorizer, RequestAttributes, Decision } from './authz.js';
export { ensurePki, issueClientCert, type ClusterPki, type KeyPair, type CertSubject } from './pki.js';
export { writeKubeconfig } from './kubeconfig.js';
export { RESOURCES, type ResourceInfo } from './resources.js';
export { parseLabelSelector, matchesLabels, parseFieldSelector, matchesFields, labelSelectorToString } from './selectors.js';
export { nodeAuthorizer, admitNodeWrite, nodeNameOf, NODES_GROUP } from './node-authorizer.js';
export { caHash, NODE_CREDENTIALS_PATH, CACERTS_PATH } from './node-join.js';
