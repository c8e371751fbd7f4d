package io.haptix;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Buttplug server that completes the handshake and then answers nothing but the device list:
 * every other request stays pending until {@link #close()} drops the connection, which is how a
 * test gets requests that are certainly in flight when a server goes away or a client closes.
 * A minimal WebSocket server (RFC 6455, unfragmented frames) on a free port of 127.0.0.1, one
 * thread per connection.
 */
final class StallServer implements AutoCloseable {
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ServerSocket listener;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final List<String> unanswered = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    StallServer() throws IOException {
        listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        acceptor = Threads.daemon("stall-server", this::accept);
        acceptor.start();
    }

    /** @return {@code ws://127.0.0.1:<port>} */
    URI url() {
        return URI.create("ws://127.0.0.1:" + listener.getLocalPort());
    }

    /** @return the names of the messages left without an answer, in order */
    List<String> unanswered() {
        return new ArrayList<>(unanswered);
    }

    /** Waits (bounded) until {@code count} messages named {@code name} are left unanswered. */
    void awaitUnanswered(String name, int count) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Fixtures.WAIT_S);
        while (unanswered().stream().filter(name::equals).count() < count) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the server did not get " + count + " " + name
                    + " messages; it has " + unanswered());
            }
            Thread.sleep(5);
        }
    }

    /** Same as {@link #goAway()}. */
    @Override
    public void close() throws IOException {
        goAway();
    }

    /** Drops every connection and stops listening: the server goes away. Idempotent. */
    void goAway() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : connections) {
            s.close();
        }
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(Fixtures.WAIT_S));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void accept() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return;
            }
            connections.add(socket);
            if (closed) {
                closeQuietly(socket);
                return;
            }
            Threads.daemon("stall-connection", () -> serve(socket)).start();
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            handshake(in, out);
            while (true) {
                int first = in.read();
                if (first < 0) {
                    return;
                }
                int opcode = first & 0x0f;
                byte[] payload = readPayload(in);
                switch (opcode) {
                    case 0x1 -> answer(new String(payload, StandardCharsets.UTF_8), out);
                    case 0x8 -> {
                        send(out, 0x8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
                        return;
                    }
                    case 0x9 -> send(out, 0xA, payload);
                    default -> { }
                }
            }
        } catch (IOException e) {
            // the connection was dropped (close) or the client went away
        }
    }

    private static void handshake(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        while (!request.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during the handshake");
            }
            request.write(b);
        }
        String key = "";
        for (String line : request.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("sec-websocket-key")) {
                key = line.substring(colon + 1).trim();
            }
        }
        String accept;
        try {
            accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1)));
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads the rest of a frame after its first byte: length, mask, unmasked payload. */
    private static byte[] readPayload(InputStream in) throws IOException {
        int second = readByte(in);
        long length = second & 0x7f;
        if (length == 126) {
            length = (readByte(in) << 8) | readByte(in);
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte(in);
            }
        }
        if (length > 1 << 24) {
            throw new IOException("frame too long for a test server: " + length);
        }
        byte[] mask = (second & 0x80) != 0 ? in.readNBytes(4) : new byte[4];
        byte[] payload = in.readNBytes((int) length);
        if (mask.length < 4 || payload.length < length) {
            throw new IOException("closed inside a frame");
        }
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
        }
        return payload;
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new IOException("closed inside a frame");
        }
        return b;
    }

    private static synchronized void send(OutputStream out, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(payload.length);
        } else if (payload.length < 65_536) {
            frame.write(126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift) & 0xff);
            }
        }
        frame.write(payload);
        out.write(frame.toByteArray());
        out.flush();
    }

    /** Answers the handshake and device-list requests of a text frame; records the others. */
    private void answer(String text, OutputStream out) throws IOException {
        for (Message m : messages(text)) {
            String reply = switch (m.name()) {
                case "RequestServerInfo" -> "[{\"ServerInfo\":{\"Id\":" + m.id() + ",\"ServerName\":\"stalled\","
                    + "\"ProtocolVersionMajor\":4,\"ProtocolVersionMinor\":0,\"MaxPingTime\":0}}]";
                case "RequestDeviceList" -> "[{\"DeviceList\":{\"Id\":" + m.id() + ",\"Devices\":{}}}]";
                default -> null;
            };
            if (reply == null) {
                unanswered.add(m.name());
            } else {
                send(out, 0x1, reply.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private record Message(String name, long id) {}

    /**
     * The messages of a Buttplug frame ({@code [{"Name":{"Id":1,...}},...]}): each name with its
     * {@code Id}, found by a small scanner that tracks nesting and skips strings.
     */
    static List<Message> messages(String json) {
        List<Message> found = new ArrayList<>();
        int depth = 0;
        String name = null;
        long id = -1;
        String lastKey = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '"') {
                int end = i + 1;
                StringBuilder s = new StringBuilder();
                while (end < json.length() && json.charAt(end) != '"') {
                    if (json.charAt(end) == '\\') {
                        end++;
                    }
                    if (end < json.length()) {
                        s.append(json.charAt(end));
                    }
                    end++;
                }
                i = end;
                lastKey = s.toString();
                if (depth == 2) {
                    name = lastKey;
                    id = -1;
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 2 && c == '}' && name != null) {
                    found.add(new Message(name, id));
                    name = null;
                }
                depth--;
            } else if (depth == 3 && "Id".equals(lastKey) && Character.isDigit(c)) {
                int end = i;
                while (end < json.length() && Character.isDigit(json.charAt(end))) {
                    end++;
                }
                id = Long.parseLong(json.substring(i, end));
                lastKey = null;
                i = end - 1;
            }
        }
        return found;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
