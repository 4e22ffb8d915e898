// The OS priority of back-end threads (plain JavaScript: the sandboxes load it without TypeScript).
// On AWS the API's function and the back-end work run on separate machines; here they share two cores,
// so the back end yields them to the request path. Linux names a thread by /proc/thread-self; elsewhere
// the thread keeps the normal priority.

/** The nice value of back-end threads: each gets about a thirtieth of a core that the request path wants. */
const BACKGROUND_NICE = 15;

/** Lowers the calling thread's priority to BACKGROUND_NICE; false where the OS has no per-thread priority. */
const lowerThisThreadPriority = () => {
  try {
    const tid = Number(require('fs').readlinkSync('/proc/thread-self').split('/').pop());
    require('os').setPriority(tid, BACKGROUND_NICE);
    return true;
  } catch {
    return false; // no per-thread priority here: fine, only slower under load
  }
};

module.exports = { BACKGROUND_NICE, lowerThisThreadPriority };
