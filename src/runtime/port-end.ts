/**
 * The last message a pool worker posts on a task's progress port. Messages on one port arrive in
 * order, so once it arrives every progress event of the task has. (The port's 'close' event is not
 * a signal to rely on: under piscina it did not fire, and each trial waited out the drain timeout.)
 */
export const PORT_END = '__widthwise_port_end__';
