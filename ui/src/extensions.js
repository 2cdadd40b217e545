// Review-screen extensions (brush editing is the first): a module registers a factory once at
// import, and every review screen instantiates it. This keeps review.js free of tool code.
//
//   registerReviewExtension((api) => ({
//     panel: Node | null,                    // placed in the side panel, under the answers
//     caseShown({index, info, state}) {},    // a case is on screen (its voxels may still arrive)
//     async masks({index, state}) { return [{volume, handle}]; },   // sent with the answer
//     leave() {},                            // the review screen closes
//   }));
// api = {viewer, config, bridge, headers, project}; viewer.setTool/addOverlay/dispatch are the
// ways to act on the images (ui/README.md).

const factories = [];

export function registerReviewExtension(factory) {
  factories.push(factory);
}

/** Instantiate every registered extension for one review screen. */
export function startReviewExtensions(api) {
  const instances = [];
  for (const factory of factories) {
    try {
      const instance = factory(api);
      if (instance) instances.push(instance);
    } catch (e) {
      console.error("a review extension failed to start", e);
    }
  }
  return instances;
}
