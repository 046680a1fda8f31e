// @softweight/datasets: work in progress (see its issue).
export {};
