/** Data-parallel training with ring all-reduce (roadmap step 10; empty for now). */
package dev.kiln.distributed;
