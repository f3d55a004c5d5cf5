// Well-known labels the sources select and index by, in a module of its own so that the pure index and the
// informer set can share them without one importing the other.

/** Set by the EndpointSlice controller to the name of the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
