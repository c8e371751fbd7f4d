// The hand-written half of the haptix.v1 codec: the wire-format reader and writer that the
// generated classes in Proto.g.cs call. Dependency-free (no Google.Protobuf), C# 7.2.
using System;
using System.Text;

namespace Haptix.Proto
{
    /// <summary>Bytes that are not a valid encoding of the expected message.</summary>
    public sealed class ProtoException : Exception
    {
        /// <summary>Creates the exception with a description of what was wrong.</summary>
        public ProtoException(string message) : base(message) { }
    }

    /// <summary>What every generated message class implements.</summary>
    public interface IProtoMessage
    {
        /// <summary>Size of the encoded message in bytes.</summary>
        int CalculateSize();

        /// <summary>Writes the encoded message.</summary>
        void WriteTo(ref ProtoWriter w);

        /// <summary>Reads fields until the reader's end, merging them into this message.</summary>
        void MergeFrom(ref ProtoReader r);
    }

    /// <summary>Helpers shared by the generated classes.</summary>
    public static class ProtoRuntime
    {
        /// <summary>The empty byte array used as the default of <c>bytes</c> fields (never written to).</summary>
        public static readonly byte[] EmptyBytes = new byte[0];

        internal static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        /// <summary>Encodes a message into a new array of exactly its size.</summary>
        public static byte[] Encode(IProtoMessage message)
        {
            if (message == null) throw new ArgumentNullException("message");
            var buffer = new byte[message.CalculateSize()];
            var w = new ProtoWriter(buffer, 0);
            message.WriteTo(ref w);
            if (w.Position != buffer.Length)
            {
                throw new InvalidOperationException("message changed while it was being encoded");
            }
            return buffer;
        }

        /// <summary>
        /// Encodes a message into <paramref name="buffer"/> from offset 0, growing (replacing) the
        /// array when it is too small. Returns the number of bytes written. Lets a hot path reuse one
        /// buffer instead of allocating per message.
        /// </summary>
        public static int EncodeInto(IProtoMessage message, ref byte[] buffer)
        {
            if (message == null) throw new ArgumentNullException("message");
            int size = message.CalculateSize();
            if (buffer == null || buffer.Length < size)
            {
                buffer = new byte[Math.Max(size, 64)];
            }
            var w = new ProtoWriter(buffer, 0);
            message.WriteTo(ref w);
            if (w.Position != size)
            {
                throw new InvalidOperationException("message changed while it was being encoded");
            }
            return size;
        }

        /// <summary>True unless <paramref name="v"/> is +0.0 (proto3 writes -0.0 and NaN).</summary>
        public static bool IsNonDefault(double v)
        {
            return BitConverter.DoubleToInt64Bits(v) != 0;
        }

        /// <summary>True unless <paramref name="v"/> is +0.0f.</summary>
        public static bool IsNonDefault(float v)
        {
            return BitConverter.DoubleToInt64Bits(v) != 0;
        }
    }

    /// <summary>
    /// Writes protobuf wire format into a caller-provided array that is already large enough
    /// (sized with <c>CalculateSize</c>). A value type passed by <c>ref</c>: encoding allocates nothing.
    /// </summary>
    public struct ProtoWriter
    {
        private readonly byte[] buffer;
        private int position;

        /// <summary>Writes into <paramref name="buffer"/> starting at <paramref name="offset"/>.</summary>
        public ProtoWriter(byte[] buffer, int offset)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0 || offset > buffer.Length) throw new ArgumentOutOfRangeException("offset");
            this.buffer = buffer;
            position = offset;
        }

        /// <summary>Index of the next byte to write.</summary>
        public int Position { get { return position; } }

        /// <summary>Bytes of a varint.</summary>
        public static int SizeVarint(ulong v)
        {
            int n = 1;
            while (v >= 0x80) { v >>= 7; n++; }
            return n;
        }

        /// <summary>Encoded size of an int32 (negative values take 10 bytes).</summary>
        public static int SizeInt32(int v) { return v < 0 ? 10 : SizeVarint((uint)v); }
        /// <summary>Encoded size of an int64.</summary>
        public static int SizeInt64(long v) { return SizeVarint((ulong)v); }
        /// <summary>Encoded size of a uint32.</summary>
        public static int SizeUInt32(uint v) { return SizeVarint(v); }
        /// <summary>Encoded size of a uint64.</summary>
        public static int SizeUInt64(ulong v) { return SizeVarint(v); }
        /// <summary>Encoded size of a sint32.</summary>
        public static int SizeSInt32(int v) { return SizeVarint((uint)((v << 1) ^ (v >> 31))); }
        /// <summary>Encoded size of a sint64.</summary>
        public static int SizeSInt64(long v) { return SizeVarint((ulong)((v << 1) ^ (v >> 63))); }
        /// <summary>Encoded size of a fixed32.</summary>
        public static int SizeFixed32(uint v) { return 4; }
        /// <summary>Encoded size of a fixed64.</summary>
        public static int SizeFixed64(ulong v) { return 8; }
        /// <summary>Encoded size of a sfixed32.</summary>
        public static int SizeSFixed32(int v) { return 4; }
        /// <summary>Encoded size of a sfixed64.</summary>
        public static int SizeSFixed64(long v) { return 8; }
        /// <summary>Encoded size of a double.</summary>
        public static int SizeDouble(double v) { return 8; }
        /// <summary>Encoded size of a float.</summary>
        public static int SizeFloat(float v) { return 4; }
        /// <summary>Encoded size of a bool.</summary>
        public static int SizeBool(bool v) { return 1; }
        /// <summary>Encoded size of a string: length prefix plus UTF-8 bytes.</summary>
        public static int SizeString(string v) { return SizeLengthDelimited(ProtoRuntime.Utf8.GetByteCount(v)); }
        /// <summary>Encoded size of a bytes field: length prefix plus the bytes.</summary>
        public static int SizeBytes(byte[] v) { return SizeLengthDelimited(v.Length); }
        /// <summary>Size of a length prefix plus <paramref name="length"/> bytes.</summary>
        public static int SizeLengthDelimited(int length) { return SizeVarint((uint)length) + length; }

        /// <summary>Writes a field tag (already combined with the wire type).</summary>
        public void WriteTag(uint tag) { WriteVarint(tag); }

        /// <summary>Writes a length prefix.</summary>
        public void WriteLength(int length) { WriteVarint((uint)length); }

        /// <summary>Writes a raw varint.</summary>
        public void WriteVarint(ulong v)
        {
            while (v >= 0x80)
            {
                buffer[position++] = (byte)(v | 0x80);
                v >>= 7;
            }
            buffer[position++] = (byte)v;
        }

        private void WriteLittleEndian(ulong v, int bytes)
        {
            for (int i = 0; i < bytes; i++)
            {
                buffer[position++] = (byte)(v >> (8 * i));
            }
        }

        /// <summary>Writes an int32 (sign-extended to 64 bits when negative, as protobuf does).</summary>
        public void WriteInt32(int v) { WriteVarint((ulong)(long)v); }
        /// <summary>Writes an int64.</summary>
        public void WriteInt64(long v) { WriteVarint((ulong)v); }
        /// <summary>Writes a uint32.</summary>
        public void WriteUInt32(uint v) { WriteVarint(v); }
        /// <summary>Writes a uint64.</summary>
        public void WriteUInt64(ulong v) { WriteVarint(v); }
        /// <summary>Writes a sint32 (zigzag).</summary>
        public void WriteSInt32(int v) { WriteVarint((uint)((v << 1) ^ (v >> 31))); }
        /// <summary>Writes a sint64 (zigzag).</summary>
        public void WriteSInt64(long v) { WriteVarint((ulong)((v << 1) ^ (v >> 63))); }
        /// <summary>Writes a fixed32.</summary>
        public void WriteFixed32(uint v) { WriteLittleEndian(v, 4); }
        /// <summary>Writes a fixed64.</summary>
        public void WriteFixed64(ulong v) { WriteLittleEndian(v, 8); }
        /// <summary>Writes a sfixed32.</summary>
        public void WriteSFixed32(int v) { WriteLittleEndian((uint)v, 4); }
        /// <summary>Writes a sfixed64.</summary>
        public void WriteSFixed64(long v) { WriteLittleEndian((ulong)v, 8); }
        /// <summary>Writes a double (IEEE 754, little endian).</summary>
        public void WriteDouble(double v) { WriteLittleEndian((ulong)BitConverter.DoubleToInt64Bits(v), 8); }
        /// <summary>Writes a float (IEEE 754, little endian).</summary>
        public void WriteFloat(float v)
        {
            WriteLittleEndian((uint)BitConverter.ToInt32(BitConverter.GetBytes(v), 0), 4);
        }
        /// <summary>Writes a bool.</summary>
        public void WriteBool(bool v) { buffer[position++] = v ? (byte)1 : (byte)0; }

        /// <summary>Writes a string as length-prefixed UTF-8.</summary>
        public void WriteString(string v)
        {
            int length = ProtoRuntime.Utf8.GetByteCount(v);
            WriteLength(length);
            position += ProtoRuntime.Utf8.GetBytes(v, 0, v.Length, buffer, position);
        }

        /// <summary>Writes length-prefixed bytes.</summary>
        public void WriteBytes(byte[] v)
        {
            WriteLength(v.Length);
            Buffer.BlockCopy(v, 0, buffer, position, v.Length);
            position += v.Length;
        }

        /// <summary>Writes a length-prefixed embedded message.</summary>
        public void WriteMessage(IProtoMessage m)
        {
            WriteLength(m.CalculateSize());
            m.WriteTo(ref this);
        }
    }

    /// <summary>
    /// Reads protobuf wire format from a byte range. Every read checks bounds and throws
    /// <see cref="ProtoException"/> on truncated or malformed data; nothing reads past the range.
    /// </summary>
    public struct ProtoReader
    {
        /// <summary>Deepest nesting of embedded messages accepted (protects the stack).</summary>
        public const int MaxDepth = 64;

        private readonly byte[] data;
        private int position;
        private int end;
        private int depth;

        /// <summary>Reads <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.</summary>
        public ProtoReader(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (offset < 0 || count < 0 || offset > data.Length - count)
            {
                throw new ArgumentOutOfRangeException("count", "offset and count are outside the array");
            }
            this.data = data;
            position = offset;
            end = offset + count;
            depth = 0;
        }

        /// <summary>True when the current range is exhausted.</summary>
        public bool AtEnd { get { return position >= end; } }

        /// <summary>Index of the next byte to read.</summary>
        public int Position { get { return position; } }

        /// <summary>Reads a field tag; field number 0 is rejected.</summary>
        public uint ReadTag()
        {
            ulong tag = ReadVarint();
            if (tag > uint.MaxValue || (tag >> 3) == 0)
            {
                throw new ProtoException("invalid field tag " + tag + " at byte " + position);
            }
            return (uint)tag;
        }

        /// <summary>Reads a varint of at most 10 bytes.</summary>
        public ulong ReadVarint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                if (position >= end) throw new ProtoException("truncated varint");
                byte b = data[position++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
            throw new ProtoException("varint longer than 10 bytes");
        }

        private ulong ReadLittleEndian(int bytes)
        {
            if (end - position < bytes) throw new ProtoException("truncated fixed-width value");
            ulong v = 0;
            for (int i = 0; i < bytes; i++)
            {
                v |= (ulong)data[position++] << (8 * i);
            }
            return v;
        }

        /// <summary>Reads an int32 (a varint truncated to 32 bits, as protobuf does).</summary>
        public int ReadInt32() { return (int)ReadVarint(); }
        /// <summary>Reads an int64.</summary>
        public long ReadInt64() { return (long)ReadVarint(); }
        /// <summary>Reads a uint32.</summary>
        public uint ReadUInt32() { return (uint)ReadVarint(); }
        /// <summary>Reads a uint64.</summary>
        public ulong ReadUInt64() { return ReadVarint(); }
        /// <summary>Reads a sint32 (zigzag).</summary>
        public int ReadSInt32() { uint v = (uint)ReadVarint(); return (int)(v >> 1) ^ -(int)(v & 1); }
        /// <summary>Reads a sint64 (zigzag).</summary>
        public long ReadSInt64() { ulong v = ReadVarint(); return (long)(v >> 1) ^ -(long)(v & 1); }
        /// <summary>Reads a fixed32.</summary>
        public uint ReadFixed32() { return (uint)ReadLittleEndian(4); }
        /// <summary>Reads a fixed64.</summary>
        public ulong ReadFixed64() { return ReadLittleEndian(8); }
        /// <summary>Reads a sfixed32.</summary>
        public int ReadSFixed32() { return (int)ReadLittleEndian(4); }
        /// <summary>Reads a sfixed64.</summary>
        public long ReadSFixed64() { return (long)ReadLittleEndian(8); }
        /// <summary>Reads a double.</summary>
        public double ReadDouble() { return BitConverter.Int64BitsToDouble((long)ReadLittleEndian(8)); }
        /// <summary>Reads a float.</summary>
        public float ReadFloat() { return BitConverter.ToSingle(BitConverter.GetBytes((uint)ReadLittleEndian(4)), 0); }
        /// <summary>Reads a bool (any non-zero varint is true).</summary>
        public bool ReadBool() { return ReadVarint() != 0; }

        /// <summary>Reads a length prefix and checks that the range fits.</summary>
        private int ReadLength()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(end - position)) throw new ProtoException("length " + length + " runs past the end");
            return (int)length;
        }

        /// <summary>Reads a length-prefixed UTF-8 string; invalid UTF-8 is a <see cref="ProtoException"/>.</summary>
        public string ReadString()
        {
            int length = ReadLength();
            string s;
            try
            {
                s = ProtoRuntime.Utf8.GetString(data, position, length);
            }
            catch (ArgumentException)
            {
                throw new ProtoException("a string field is not valid UTF-8");
            }
            position += length;
            return s;
        }

        /// <summary>Reads length-prefixed bytes into a new array.</summary>
        public byte[] ReadBytes()
        {
            int length = ReadLength();
            if (length == 0) return ProtoRuntime.EmptyBytes;
            var bytes = new byte[length];
            Buffer.BlockCopy(data, position, bytes, 0, length);
            position += length;
            return bytes;
        }

        /// <summary>Reads a length prefix and narrows the range to it; returns the outer end for <see cref="EndLength"/>.</summary>
        public int BeginLength()
        {
            int length = ReadLength();
            int outer = end;
            end = position + length;
            return outer;
        }

        /// <summary>Restores the range saved by <see cref="BeginLength"/>; the inner range must be consumed exactly.</summary>
        public void EndLength(int outerEnd)
        {
            if (position != end) throw new ProtoException("packed field or message ends inside a value");
            end = outerEnd;
        }

        /// <summary>Reads an embedded message into <paramref name="message"/> and returns it.</summary>
        public T ReadMessage<T>(T message) where T : IProtoMessage
        {
            if (++depth > MaxDepth) throw new ProtoException("messages nested deeper than " + MaxDepth);
            int outer = BeginLength();
            message.MergeFrom(ref this);
            EndLength(outer);
            depth--;
            return message;
        }

        /// <summary>Skips a field of any wire type this reader does not know; groups are rejected.</summary>
        public void SkipField(uint tag)
        {
            switch (tag & 7)
            {
                case 0: ReadVarint(); break;
                case 1: ReadLittleEndian(8); break;
                case 2: { int length = ReadLength(); position += length; break; }
                case 5: ReadLittleEndian(4); break;
                default: throw new ProtoException("unsupported wire type " + (tag & 7) + " of field " + (tag >> 3));
            }
        }
    }
}
