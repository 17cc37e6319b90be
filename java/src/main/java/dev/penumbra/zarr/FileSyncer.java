package dev.penumbra.zarr;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;

/**
 * Forces written files to the disk ({@code fdatasync}) on a thread of its own, so that the threads
 * that wrote them go on while the disk works: a durable Zarr output's chunk files, each of which its
 * encoder had forced before taking the next chunk. On a virtual machine whose disk flushes its host's
 * cache with each force (write cache "write back", no FUA), the flushes held the encoders, and through
 * them the run: seed to Zarr v3, 64 chunks, Zen 3, whole commands: ~0.55 s more than without the
 * forces. {@link #await} returns once every file handed over is forced, or throws the first failure.
 */
final class FileSyncer implements AutoCloseable {
    private final String name;
    private final ArrayDeque<Path> queue = new ArrayDeque<>();
    private Thread thread;
    /** Files handed over and not yet forced. */
    private int outstanding;
    private IOException failure;
    private boolean closed;

    /** {@code name}: the output, for errors. */
    FileSyncer(String name) {
        this.name = name;
    }

    /** Forces {@code file} soon, on the syncer's thread (started with the first file). */
    synchronized void submit(Path file) {
        if (closed) {
            throw new IllegalStateException(name + ": the output was closed");
        }
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("penumbra-zarr-sync").start(this::loop);
        }
        queue.add(file);
        outstanding++;
        notifyAll();
    }

    private void loop() {
        while (true) {
            Path p;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                p = queue.poll();
            }
            IOException failed = null;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.force(false);
            } catch (NoSuchFileException gone) {
                failed = closed() ? null : gone; // (removed by the close of an abandoned output)
            } catch (IOException e) {
                failed = e;
            }
            synchronized (this) {
                if (failed != null && failure == null) {
                    failure = failed;
                }
                outstanding--;
                notifyAll();
            }
        }
    }

    private synchronized boolean closed() {
        return closed;
    }

    /** Waits until every file handed over is forced; the first that could not be, thrown. */
    synchronized void await() throws IOException {
        boolean interrupted = false;
        try {
            while (outstanding > 0 && failure == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the forces in hand finish; the caller sees the flag
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops the thread after the force in hand; files not yet forced are left as they are. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            queue.clear();
            notifyAll();
            t = thread;
        }
        if (t != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
