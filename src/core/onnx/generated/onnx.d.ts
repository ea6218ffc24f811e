import * as $protobuf from "protobufjs";
import Long = require("long");
export namespace onnx {

    enum Version {
        _START_VERSION = 0,
        IR_VERSION_2017_10_10 = 1,
        IR_VERSION_2017_10_30 = 2,
        IR_VERSION_2017_11_3 = 3,
        IR_VERSION_2019_1_22 = 4,
        IR_VERSION_2019_3_18 = 5,
        IR_VERSION_2019_9_19 = 6,
        IR_VERSION_2020_5_8 = 7,
        IR_VERSION_2021_7_30 = 8,
        IR_VERSION_2023_5_5 = 9,
        IR_VERSION_2024_3_25 = 10,
        IR_VERSION_2025_05_12 = 11,
        IR_VERSION_2025_08_26 = 12,
        IR_VERSION = 13
    }

    interface IAttributeProto {
        name?: (string|null);
        refAttrName?: (string|null);
        docString?: (string|null);
        type?: (onnx.AttributeProto.AttributeType|null);
        f?: (number|null);
        i?: (number|Long|null);
        s?: (Uint8Array|null);
        t?: (onnx.ITensorProto|null);
        g?: (onnx.IGraphProto|null);
        sparseTensor?: (onnx.ISparseTensorProto|null);
        tp?: (onnx.ITypeProto|null);
        floats?: (number[]|null);
        ints?: ((number|Long)[]|null);
        strings?: (Uint8Array[]|null);
        tensors?: (onnx.ITensorProto[]|null);
        graphs?: (onnx.IGraphProto[]|null);
        sparseTensors?: (onnx.ISparseTensorProto[]|null);
        typeProtos?: (onnx.ITypeProto[]|null);
    }

    class AttributeProto implements IAttributeProto {
        constructor(properties?: onnx.IAttributeProto);
        public name: string;
        public refAttrName: string;
        public docString: string;
        public type: onnx.AttributeProto.AttributeType;
        public f: number;
        public i: (number|Long);
        public s: Uint8Array;
        public t?: (onnx.ITensorProto|null);
        public g?: (onnx.IGraphProto|null);
        public sparseTensor?: (onnx.ISparseTensorProto|null);
        public tp?: (onnx.ITypeProto|null);
        public floats: number[];
        public ints: (number|Long)[];
        public strings: Uint8Array[];
        public tensors: onnx.ITensorProto[];
        public graphs: onnx.IGraphProto[];
        public sparseTensors: onnx.ISparseTensorProto[];
        public typeProtos: onnx.ITypeProto[];
        public static create(properties?: onnx.IAttributeProto): onnx.AttributeProto;
        public static encode(message: onnx.IAttributeProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.AttributeProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace AttributeProto {

        enum AttributeType {
            UNDEFINED = 0,
            FLOAT = 1,
            INT = 2,
            STRING = 3,
            TENSOR = 4,
            GRAPH = 5,
            SPARSE_TENSOR = 11,
            TYPE_PROTO = 13,
            FLOATS = 6,
            INTS = 7,
            STRINGS = 8,
            TENSORS = 9,
            GRAPHS = 10,
            SPARSE_TENSORS = 12,
            TYPE_PROTOS = 14
        }
    }

    interface IValueInfoProto {
        name?: (string|null);
        type?: (onnx.ITypeProto|null);
        docString?: (string|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
    }

    class ValueInfoProto implements IValueInfoProto {
        constructor(properties?: onnx.IValueInfoProto);
        public name: string;
        public type?: (onnx.ITypeProto|null);
        public docString: string;
        public metadataProps: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.IValueInfoProto): onnx.ValueInfoProto;
        public static encode(message: onnx.IValueInfoProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.ValueInfoProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface INodeProto {
        input?: (string[]|null);
        output?: (string[]|null);
        name?: (string|null);
        opType?: (string|null);
        domain?: (string|null);
        overload?: (string|null);
        attribute?: (onnx.IAttributeProto[]|null);
        docString?: (string|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
        deviceConfigurations?: (onnx.INodeDeviceConfigurationProto[]|null);
    }

    class NodeProto implements INodeProto {
        constructor(properties?: onnx.INodeProto);
        public input: string[];
        public output: string[];
        public name: string;
        public opType: string;
        public domain: string;
        public overload: string;
        public attribute: onnx.IAttributeProto[];
        public docString: string;
        public metadataProps: onnx.IStringStringEntryProto[];
        public deviceConfigurations: onnx.INodeDeviceConfigurationProto[];
        public static create(properties?: onnx.INodeProto): onnx.NodeProto;
        public static encode(message: onnx.INodeProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.NodeProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IIntIntListEntryProto {
        key?: (number|Long|null);
        value?: ((number|Long)[]|null);
    }

    class IntIntListEntryProto implements IIntIntListEntryProto {
        constructor(properties?: onnx.IIntIntListEntryProto);
        public key: (number|Long);
        public value: (number|Long)[];
        public static create(properties?: onnx.IIntIntListEntryProto): onnx.IntIntListEntryProto;
        public static encode(message: onnx.IIntIntListEntryProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.IntIntListEntryProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface INodeDeviceConfigurationProto {
        configurationId?: (string|null);
        shardingSpec?: (onnx.IShardingSpecProto[]|null);
        pipelineStage?: (number|null);
    }

    class NodeDeviceConfigurationProto implements INodeDeviceConfigurationProto {
        constructor(properties?: onnx.INodeDeviceConfigurationProto);
        public configurationId: string;
        public shardingSpec: onnx.IShardingSpecProto[];
        public pipelineStage: number;
        public static create(properties?: onnx.INodeDeviceConfigurationProto): onnx.NodeDeviceConfigurationProto;
        public static encode(message: onnx.INodeDeviceConfigurationProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.NodeDeviceConfigurationProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IShardingSpecProto {
        tensorName?: (string|null);
        device?: ((number|Long)[]|null);
        indexToDeviceGroupMap?: (onnx.IIntIntListEntryProto[]|null);
        shardedDim?: (onnx.IShardedDimProto[]|null);
    }

    class ShardingSpecProto implements IShardingSpecProto {
        constructor(properties?: onnx.IShardingSpecProto);
        public tensorName: string;
        public device: (number|Long)[];
        public indexToDeviceGroupMap: onnx.IIntIntListEntryProto[];
        public shardedDim: onnx.IShardedDimProto[];
        public static create(properties?: onnx.IShardingSpecProto): onnx.ShardingSpecProto;
        public static encode(message: onnx.IShardingSpecProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.ShardingSpecProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IShardedDimProto {
        axis?: (number|Long|null);
        simpleSharding?: (onnx.ISimpleShardedDimProto[]|null);
    }

    class ShardedDimProto implements IShardedDimProto {
        constructor(properties?: onnx.IShardedDimProto);
        public axis: (number|Long);
        public simpleSharding: onnx.ISimpleShardedDimProto[];
        public static create(properties?: onnx.IShardedDimProto): onnx.ShardedDimProto;
        public static encode(message: onnx.IShardedDimProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.ShardedDimProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ISimpleShardedDimProto {
        dimValue?: (number|Long|null);
        dimParam?: (string|null);
        numShards?: (number|Long|null);
    }

    class SimpleShardedDimProto implements ISimpleShardedDimProto {
        constructor(properties?: onnx.ISimpleShardedDimProto);
        public dimValue?: (number|Long|null);
        public dimParam?: (string|null);
        public numShards: (number|Long);
        public dim?: ("dimValue"|"dimParam");
        public static create(properties?: onnx.ISimpleShardedDimProto): onnx.SimpleShardedDimProto;
        public static encode(message: onnx.ISimpleShardedDimProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.SimpleShardedDimProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ITrainingInfoProto {
        initialization?: (onnx.IGraphProto|null);
        algorithm?: (onnx.IGraphProto|null);
        initializationBinding?: (onnx.IStringStringEntryProto[]|null);
        updateBinding?: (onnx.IStringStringEntryProto[]|null);
    }

    class TrainingInfoProto implements ITrainingInfoProto {
        constructor(properties?: onnx.ITrainingInfoProto);
        public initialization?: (onnx.IGraphProto|null);
        public algorithm?: (onnx.IGraphProto|null);
        public initializationBinding: onnx.IStringStringEntryProto[];
        public updateBinding: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.ITrainingInfoProto): onnx.TrainingInfoProto;
        public static encode(message: onnx.ITrainingInfoProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TrainingInfoProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IModelProto {
        irVersion?: (number|Long|null);
        opsetImport?: (onnx.IOperatorSetIdProto[]|null);
        producerName?: (string|null);
        producerVersion?: (string|null);
        domain?: (string|null);
        modelVersion?: (number|Long|null);
        docString?: (string|null);
        graph?: (onnx.IGraphProto|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
        trainingInfo?: (onnx.ITrainingInfoProto[]|null);
        functions?: (onnx.IFunctionProto[]|null);
        configuration?: (onnx.IDeviceConfigurationProto[]|null);
    }

    class ModelProto implements IModelProto {
        constructor(properties?: onnx.IModelProto);
        public irVersion: (number|Long);
        public opsetImport: onnx.IOperatorSetIdProto[];
        public producerName: string;
        public producerVersion: string;
        public domain: string;
        public modelVersion: (number|Long);
        public docString: string;
        public graph?: (onnx.IGraphProto|null);
        public metadataProps: onnx.IStringStringEntryProto[];
        public trainingInfo: onnx.ITrainingInfoProto[];
        public functions: onnx.IFunctionProto[];
        public configuration: onnx.IDeviceConfigurationProto[];
        public static create(properties?: onnx.IModelProto): onnx.ModelProto;
        public static encode(message: onnx.IModelProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.ModelProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IDeviceConfigurationProto {
        name?: (string|null);
        numDevices?: (number|null);
        device?: (string[]|null);
    }

    class DeviceConfigurationProto implements IDeviceConfigurationProto {
        constructor(properties?: onnx.IDeviceConfigurationProto);
        public name: string;
        public numDevices: number;
        public device: string[];
        public static create(properties?: onnx.IDeviceConfigurationProto): onnx.DeviceConfigurationProto;
        public static encode(message: onnx.IDeviceConfigurationProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.DeviceConfigurationProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IStringStringEntryProto {
        key?: (string|null);
        value?: (string|null);
    }

    class StringStringEntryProto implements IStringStringEntryProto {
        constructor(properties?: onnx.IStringStringEntryProto);
        public key: string;
        public value: string;
        public static create(properties?: onnx.IStringStringEntryProto): onnx.StringStringEntryProto;
        public static encode(message: onnx.IStringStringEntryProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.StringStringEntryProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ITensorAnnotation {
        tensorName?: (string|null);
        quantParameterTensorNames?: (onnx.IStringStringEntryProto[]|null);
    }

    class TensorAnnotation implements ITensorAnnotation {
        constructor(properties?: onnx.ITensorAnnotation);
        public tensorName: string;
        public quantParameterTensorNames: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.ITensorAnnotation): onnx.TensorAnnotation;
        public static encode(message: onnx.ITensorAnnotation, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TensorAnnotation;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IGraphProto {
        node?: (onnx.INodeProto[]|null);
        name?: (string|null);
        initializer?: (onnx.ITensorProto[]|null);
        sparseInitializer?: (onnx.ISparseTensorProto[]|null);
        docString?: (string|null);
        input?: (onnx.IValueInfoProto[]|null);
        output?: (onnx.IValueInfoProto[]|null);
        valueInfo?: (onnx.IValueInfoProto[]|null);
        quantizationAnnotation?: (onnx.ITensorAnnotation[]|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
    }

    class GraphProto implements IGraphProto {
        constructor(properties?: onnx.IGraphProto);
        public node: onnx.INodeProto[];
        public name: string;
        public initializer: onnx.ITensorProto[];
        public sparseInitializer: onnx.ISparseTensorProto[];
        public docString: string;
        public input: onnx.IValueInfoProto[];
        public output: onnx.IValueInfoProto[];
        public valueInfo: onnx.IValueInfoProto[];
        public quantizationAnnotation: onnx.ITensorAnnotation[];
        public metadataProps: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.IGraphProto): onnx.GraphProto;
        public static encode(message: onnx.IGraphProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.GraphProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ITensorProto {
        dims?: ((number|Long)[]|null);
        dataType?: (number|null);
        segment?: (onnx.TensorProto.ISegment|null);
        floatData?: (number[]|null);
        int32Data?: (number[]|null);
        stringData?: (Uint8Array[]|null);
        int64Data?: ((number|Long)[]|null);
        name?: (string|null);
        docString?: (string|null);
        rawData?: (Uint8Array|null);
        externalData?: (onnx.IStringStringEntryProto[]|null);
        dataLocation?: (onnx.TensorProto.DataLocation|null);
        doubleData?: (number[]|null);
        uint64Data?: ((number|Long)[]|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
    }

    class TensorProto implements ITensorProto {
        constructor(properties?: onnx.ITensorProto);
        public dims: (number|Long)[];
        public dataType: number;
        public segment?: (onnx.TensorProto.ISegment|null);
        public floatData: number[];
        public int32Data: number[];
        public stringData: Uint8Array[];
        public int64Data: (number|Long)[];
        public name: string;
        public docString: string;
        public rawData: Uint8Array;
        public externalData: onnx.IStringStringEntryProto[];
        public dataLocation: onnx.TensorProto.DataLocation;
        public doubleData: number[];
        public uint64Data: (number|Long)[];
        public metadataProps: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.ITensorProto): onnx.TensorProto;
        public static encode(message: onnx.ITensorProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TensorProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace TensorProto {

        enum DataType {
            UNDEFINED = 0,
            FLOAT = 1,
            UINT8 = 2,
            INT8 = 3,
            UINT16 = 4,
            INT16 = 5,
            INT32 = 6,
            INT64 = 7,
            STRING = 8,
            BOOL = 9,
            FLOAT16 = 10,
            DOUBLE = 11,
            UINT32 = 12,
            UINT64 = 13,
            COMPLEX64 = 14,
            COMPLEX128 = 15,
            BFLOAT16 = 16,
            FLOAT8E4M3FN = 17,
            FLOAT8E4M3FNUZ = 18,
            FLOAT8E5M2 = 19,
            FLOAT8E5M2FNUZ = 20,
            UINT4 = 21,
            INT4 = 22,
            FLOAT4E2M1 = 23,
            FLOAT8E8M0 = 24,
            UINT2 = 25,
            INT2 = 26
        }

        interface ISegment {
            begin?: (number|Long|null);
            end?: (number|Long|null);
        }

        class Segment implements ISegment {
            constructor(properties?: onnx.TensorProto.ISegment);
            public begin: (number|Long);
            public end: (number|Long);
            public static create(properties?: onnx.TensorProto.ISegment): onnx.TensorProto.Segment;
            public static encode(message: onnx.TensorProto.ISegment, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TensorProto.Segment;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        enum DataLocation {
            DEFAULT = 0,
            EXTERNAL = 1
        }
    }

    interface ISparseTensorProto {
        values?: (onnx.ITensorProto|null);
        indices?: (onnx.ITensorProto|null);
        dims?: ((number|Long)[]|null);
    }

    class SparseTensorProto implements ISparseTensorProto {
        constructor(properties?: onnx.ISparseTensorProto);
        public values?: (onnx.ITensorProto|null);
        public indices?: (onnx.ITensorProto|null);
        public dims: (number|Long)[];
        public static create(properties?: onnx.ISparseTensorProto): onnx.SparseTensorProto;
        public static encode(message: onnx.ISparseTensorProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.SparseTensorProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ITensorShapeProto {
        dim?: (onnx.TensorShapeProto.IDimension[]|null);
    }

    class TensorShapeProto implements ITensorShapeProto {
        constructor(properties?: onnx.ITensorShapeProto);
        public dim: onnx.TensorShapeProto.IDimension[];
        public static create(properties?: onnx.ITensorShapeProto): onnx.TensorShapeProto;
        public static encode(message: onnx.ITensorShapeProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TensorShapeProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace TensorShapeProto {

        interface IDimension {
            dimValue?: (number|Long|null);
            dimParam?: (string|null);
            denotation?: (string|null);
        }

        class Dimension implements IDimension {
            constructor(properties?: onnx.TensorShapeProto.IDimension);
            public dimValue?: (number|Long|null);
            public dimParam?: (string|null);
            public denotation: string;
            public value?: ("dimValue"|"dimParam");
            public static create(properties?: onnx.TensorShapeProto.IDimension): onnx.TensorShapeProto.Dimension;
            public static encode(message: onnx.TensorShapeProto.IDimension, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TensorShapeProto.Dimension;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }
    }

    interface ITypeProto {
        tensorType?: (onnx.TypeProto.ITensor|null);
        sequenceType?: (onnx.TypeProto.ISequence|null);
        mapType?: (onnx.TypeProto.IMap|null);
        optionalType?: (onnx.TypeProto.IOptional|null);
        sparseTensorType?: (onnx.TypeProto.ISparseTensor|null);
        opaqueType?: (onnx.TypeProto.IOpaque|null);
        denotation?: (string|null);
    }

    class TypeProto implements ITypeProto {
        constructor(properties?: onnx.ITypeProto);
        public tensorType?: (onnx.TypeProto.ITensor|null);
        public sequenceType?: (onnx.TypeProto.ISequence|null);
        public mapType?: (onnx.TypeProto.IMap|null);
        public optionalType?: (onnx.TypeProto.IOptional|null);
        public sparseTensorType?: (onnx.TypeProto.ISparseTensor|null);
        public opaqueType?: (onnx.TypeProto.IOpaque|null);
        public denotation: string;
        public value?: ("tensorType"|"sequenceType"|"mapType"|"optionalType"|"sparseTensorType"|"opaqueType");
        public static create(properties?: onnx.ITypeProto): onnx.TypeProto;
        public static encode(message: onnx.ITypeProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace TypeProto {

        interface ITensor {
            elemType?: (number|null);
            shape?: (onnx.ITensorShapeProto|null);
        }

        class Tensor implements ITensor {
            constructor(properties?: onnx.TypeProto.ITensor);
            public elemType: number;
            public shape?: (onnx.ITensorShapeProto|null);
            public static create(properties?: onnx.TypeProto.ITensor): onnx.TypeProto.Tensor;
            public static encode(message: onnx.TypeProto.ITensor, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.Tensor;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ISequence {
            elemType?: (onnx.ITypeProto|null);
        }

        class Sequence implements ISequence {
            constructor(properties?: onnx.TypeProto.ISequence);
            public elemType?: (onnx.ITypeProto|null);
            public static create(properties?: onnx.TypeProto.ISequence): onnx.TypeProto.Sequence;
            public static encode(message: onnx.TypeProto.ISequence, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.Sequence;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IMap {
            keyType?: (number|null);
            valueType?: (onnx.ITypeProto|null);
        }

        class Map implements IMap {
            constructor(properties?: onnx.TypeProto.IMap);
            public keyType: number;
            public valueType?: (onnx.ITypeProto|null);
            public static create(properties?: onnx.TypeProto.IMap): onnx.TypeProto.Map;
            public static encode(message: onnx.TypeProto.IMap, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.Map;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IOptional {
            elemType?: (onnx.ITypeProto|null);
        }

        class Optional implements IOptional {
            constructor(properties?: onnx.TypeProto.IOptional);
            public elemType?: (onnx.ITypeProto|null);
            public static create(properties?: onnx.TypeProto.IOptional): onnx.TypeProto.Optional;
            public static encode(message: onnx.TypeProto.IOptional, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.Optional;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ISparseTensor {
            elemType?: (number|null);
            shape?: (onnx.ITensorShapeProto|null);
        }

        class SparseTensor implements ISparseTensor {
            constructor(properties?: onnx.TypeProto.ISparseTensor);
            public elemType: number;
            public shape?: (onnx.ITensorShapeProto|null);
            public static create(properties?: onnx.TypeProto.ISparseTensor): onnx.TypeProto.SparseTensor;
            public static encode(message: onnx.TypeProto.ISparseTensor, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.SparseTensor;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IOpaque {
            domain?: (string|null);
            name?: (string|null);
        }

        class Opaque implements IOpaque {
            constructor(properties?: onnx.TypeProto.IOpaque);
            public domain: string;
            public name: string;
            public static create(properties?: onnx.TypeProto.IOpaque): onnx.TypeProto.Opaque;
            public static encode(message: onnx.TypeProto.IOpaque, writer?: $protobuf.Writer): $protobuf.Writer;
            public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.TypeProto.Opaque;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }
    }

    interface IOperatorSetIdProto {
        domain?: (string|null);
        version?: (number|Long|null);
    }

    class OperatorSetIdProto implements IOperatorSetIdProto {
        constructor(properties?: onnx.IOperatorSetIdProto);
        public domain: string;
        public version: (number|Long);
        public static create(properties?: onnx.IOperatorSetIdProto): onnx.OperatorSetIdProto;
        public static encode(message: onnx.IOperatorSetIdProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.OperatorSetIdProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    enum OperatorStatus {
        EXPERIMENTAL = 0,
        STABLE = 1
    }

    interface IFunctionProto {
        name?: (string|null);
        input?: (string[]|null);
        output?: (string[]|null);
        attribute?: (string[]|null);
        attributeProto?: (onnx.IAttributeProto[]|null);
        node?: (onnx.INodeProto[]|null);
        docString?: (string|null);
        opsetImport?: (onnx.IOperatorSetIdProto[]|null);
        domain?: (string|null);
        overload?: (string|null);
        valueInfo?: (onnx.IValueInfoProto[]|null);
        metadataProps?: (onnx.IStringStringEntryProto[]|null);
    }

    class FunctionProto implements IFunctionProto {
        constructor(properties?: onnx.IFunctionProto);
        public name: string;
        public input: string[];
        public output: string[];
        public attribute: string[];
        public attributeProto: onnx.IAttributeProto[];
        public node: onnx.INodeProto[];
        public docString: string;
        public opsetImport: onnx.IOperatorSetIdProto[];
        public domain: string;
        public overload: string;
        public valueInfo: onnx.IValueInfoProto[];
        public metadataProps: onnx.IStringStringEntryProto[];
        public static create(properties?: onnx.IFunctionProto): onnx.FunctionProto;
        public static encode(message: onnx.IFunctionProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.FunctionProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface ISequenceProto {
        name?: (string|null);
        elemType?: (number|null);
        tensorValues?: (onnx.ITensorProto[]|null);
        sparseTensorValues?: (onnx.ISparseTensorProto[]|null);
        sequenceValues?: (onnx.ISequenceProto[]|null);
        mapValues?: (onnx.IMapProto[]|null);
        optionalValues?: (onnx.IOptionalProto[]|null);
    }

    class SequenceProto implements ISequenceProto {
        constructor(properties?: onnx.ISequenceProto);
        public name: string;
        public elemType: number;
        public tensorValues: onnx.ITensorProto[];
        public sparseTensorValues: onnx.ISparseTensorProto[];
        public sequenceValues: onnx.ISequenceProto[];
        public mapValues: onnx.IMapProto[];
        public optionalValues: onnx.IOptionalProto[];
        public static create(properties?: onnx.ISequenceProto): onnx.SequenceProto;
        public static encode(message: onnx.ISequenceProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.SequenceProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace SequenceProto {

        enum DataType {
            UNDEFINED = 0,
            TENSOR = 1,
            SPARSE_TENSOR = 2,
            SEQUENCE = 3,
            MAP = 4,
            OPTIONAL = 5
        }
    }

    interface IMapProto {
        name?: (string|null);
        keyType?: (number|null);
        keys?: ((number|Long)[]|null);
        stringKeys?: (Uint8Array[]|null);
        values?: (onnx.ISequenceProto|null);
    }

    class MapProto implements IMapProto {
        constructor(properties?: onnx.IMapProto);
        public name: string;
        public keyType: number;
        public keys: (number|Long)[];
        public stringKeys: Uint8Array[];
        public values?: (onnx.ISequenceProto|null);
        public static create(properties?: onnx.IMapProto): onnx.MapProto;
        public static encode(message: onnx.IMapProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.MapProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    interface IOptionalProto {
        name?: (string|null);
        elemType?: (number|null);
        tensorValue?: (onnx.ITensorProto|null);
        sparseTensorValue?: (onnx.ISparseTensorProto|null);
        sequenceValue?: (onnx.ISequenceProto|null);
        mapValue?: (onnx.IMapProto|null);
        optionalValue?: (onnx.IOptionalProto|null);
    }

    class OptionalProto implements IOptionalProto {
        constructor(properties?: onnx.IOptionalProto);
        public name: string;
        public elemType: number;
        public tensorValue?: (onnx.ITensorProto|null);
        public sparseTensorValue?: (onnx.ISparseTensorProto|null);
        public sequenceValue?: (onnx.ISequenceProto|null);
        public mapValue?: (onnx.IMapProto|null);
        public optionalValue?: (onnx.IOptionalProto|null);
        public static create(properties?: onnx.IOptionalProto): onnx.OptionalProto;
        public static encode(message: onnx.IOptionalProto, writer?: $protobuf.Writer): $protobuf.Writer;
        public static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): onnx.OptionalProto;
        public static getTypeUrl(typeUrlPrefix?: string): string;
    }

    namespace OptionalProto {

        enum DataType {
            UNDEFINED = 0,
            TENSOR = 1,
            SPARSE_TENSOR = 2,
            SEQUENCE = 3,
            MAP = 4,
            OPTIONAL = 5
        }
    }
}
