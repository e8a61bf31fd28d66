/** The two shapes every module speaks in: widths of a network and the shape of one image. */

/** One width per width group, in the order of the space's `groups`. */
export type WidthVector = number[];

/** Height, width, channels (NHWC without the batch axis). A flat input is [1, 1, n]. */
export type ImageShape = [number, number, number];
