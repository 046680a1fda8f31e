// @softweight/tfjs: work in progress (see its issue).
export {};
