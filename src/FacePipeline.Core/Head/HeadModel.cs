using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FacePipeline.Head;

/// <summary>
/// The seed's head: Flatten → Dense(1024, ReLU) → Dense(256, ReLU) → Dense(N), softmax applied by the loss and by
/// prediction. Inputs are first standardised with the training set's per-feature mean and standard deviation, which
/// are stored in the weights file as buffers, so a saved head carries its own input scaling. Field names are the
/// checkpoint keys: renaming one is a format change.
/// </summary>
public sealed class HeadModel : Module<Tensor, Tensor>
{
    /// <summary>Widths of the two hidden layers, as in the seed.</summary>
    public static readonly int[] HiddenSizes = [1024, 256];

#pragma warning disable IDE1006, SA1300 // Field names are the checkpoint keys.
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear output;
    private readonly Dropout dropout;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates a head with freshly initialised weights (PyTorch's defaults, drawn from torch's seeded generator).</summary>
    /// <param name="inputSize">Features per image.</param>
    /// <param name="classes">Number of people.</param>
    /// <param name="dropoutRate">Dropout after each hidden layer while training (0 = none, the seed's choice).</param>
    public HeadModel(int inputSize, int classes, double dropoutRate)
        : base("head")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        feature_mean = zeros(inputSize);
        feature_std = ones(inputSize);
        fc1 = nn.Linear(inputSize, HiddenSizes[0]);
        fc2 = nn.Linear(HiddenSizes[0], HiddenSizes[1]);
        output = nn.Linear(HiddenSizes[1], classes);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>Sets the input standardisation (per-feature mean and standard deviation of the training rows).</summary>
    public void SetStandardisation(Tensor mean, Tensor std)
    {
        using var noGrad = no_grad();
        feature_mean.copy_(mean);
        feature_std.copy_(std);
    }

    /// <summary>Logits for a batch of flattened features [batch, InputSize].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = (input - feature_mean) / feature_std;
        x = dropout.forward(nn.functional.relu(fc1.forward(x)));
        x = dropout.forward(nn.functional.relu(fc2.forward(x)));
        return output.forward(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fc1.Dispose();
            fc2.Dispose();
            output.Dispose();
            dropout.Dispose();
            feature_mean.Dispose();
            feature_std.Dispose();
        }

        base.Dispose(disposing);
    }
}
